import type { RedisOptions } from 'ioredis';
import { TransportConfig } from '../../config/transport-config';

/** Redis is used when either is set: REDIS_URL (one node) or REDIS_SENTINELS (a master they name). */
export function redisConfigured(config: TransportConfig): boolean {
  return config.redisUrl !== undefined || config.redisSentinels.length > 0;
}

/** What REDIS_URL says besides its host: credentials, database, TLS. */
function urlParts(redisUrl: string | undefined): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  if (!redisUrl) return {};
  const url = new URL(redisUrl);
  const db = Number(url.pathname.replace(/^\//, '') || '0');
  return {
    ...(url.username && { username: decodeURIComponent(url.username) }),
    ...(url.password && { password: decodeURIComponent(url.password) }),
    ...(db > 0 && { db }),
    ...(url.protocol === 'rediss:' && { tls: {} }),
  };
}

/**
 * The connection options, apart from the time-outs and retries RedisModule sets. With sentinels,
 * ioredis asks them for the master's address at each (re)connection, and `failoverDetector`
 * subscribes to their +switch-master so that a failover moves the connection at once instead of
 * when the old master's connection dies. A former master that came back as a replica answers
 * writes with READONLY: that reconnects too (through the sentinels, to the new master).
 */
export function redisConnectionOptions(config: TransportConfig): RedisOptions {
  const parts = urlParts(config.redisUrl);
  const password = config.redisPassword ?? parts.password;
  const credentials = { ...parts, ...(password !== undefined && { password }) };
  if (config.redisSentinels.length === 0) {
    const url = new URL(config.redisUrl ?? 'redis://127.0.0.1:6379');
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379), ...credentials };
  }
  return {
    ...credentials,
    sentinels: config.redisSentinels.map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    }),
    name: config.redisMasterName,
    ...(config.redisSentinelPassword !== undefined && { sentinelPassword: config.redisSentinelPassword }),
    ...(parts.tls && { enableTLSForSentinelMode: true }),
    failoverDetector: true,
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
}
