// Owns: the one shared Redis connection (only with REDIS_URL).
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/lifecycle, platform/logging, platform/tracing.
import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RedisBreaker } from './redis-breaker';
import { redisConfigured, redisConnectionOptions } from './redis-connection-options';
import { REDIS_BREAKER, REDIS_CLIENT } from './redis.constants';

/**
 * One Redis connection per instance, shared by the idempotency store and the
 * rate limiter. Commands fail fast while it is down (no offline queue) and
 * time out after REDIS_COMMAND_TIMEOUT while it is frozen: each user decides
 * what a failure means, behind the RedisBreaker. It reconnects by itself
 * (through the sentinels with REDIS_SENTINELS).
 */
function createClient(config: TransportConfig): Redis | null {
  if (!redisConfigured(config)) return null;
  // Required here rather than imported: ioredis costs about 0.17 s of CPU and 18 MB of RSS at
  // start, and a service without Redis never uses it (the other files import its types only).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
  const logger = new Logger('Redis');
  const commandTimeout = config.redisCommandTimeoutMs;
  const client = new RedisClient({
    ...redisConnectionOptions(config),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    connectTimeout: Math.max(commandTimeout, 2000),
    sentinelCommandTimeout: commandTimeout,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // Sentinels that do not answer are tried again, never given up on.
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn(`Redis unavailable: ${error.message}`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.log('Redis connection restored');
    down = false;
  });
  return client;
}

/** The breaker in front of the client, probing with PING (under the command time-out too). */
function createBreaker(config: TransportConfig, client: Redis | null): RedisBreaker | null {
  if (!client) return null;
  return new RedisBreaker({
    probe: () => client.ping(),
    probeIntervalMs: config.redisProbeIntervalMs,
    reconnect: () => client.disconnect(true),
  });
}

@Module({
  providers: [
    { provide: REDIS_CLIENT, inject: [TRANSPORT_CONFIG], useFactory: createClient },
    { provide: REDIS_BREAKER, inject: [TRANSPORT_CONFIG, REDIS_CLIENT], useFactory: createBreaker },
  ],
  exports: [REDIS_CLIENT, REDIS_BREAKER],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Redis | null,
    @Inject(REDIS_BREAKER) private readonly breaker: RedisBreaker | null,
  ) {}

  /** Connects at boot; an unreachable Redis is logged, not fatal (it is retried in the background). */
  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    await this.client.connect().catch((error: Error) => this.logger.warn(`Redis not reachable at boot: ${error.message}`));
  }

  /** After the drain (held requests record their answers) and the HTTP server's close. */
  async onApplicationShutdown(): Promise<void> {
    this.breaker?.stop();
    if (!this.client) return;
    await this.client.quit().catch(() => undefined);
    // quit() leaves the sentinels' +switch-master subscription (failoverDetector) open.
    this.client.disconnect();
  }
}
