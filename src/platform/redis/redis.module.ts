import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { REDIS_CLIENT } from './redis.constants';

/** A Redis command that takes longer fails, so that a hung Redis never hangs a request. */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * One Redis connection per instance, shared by the idempotency store and the
 * rate limiter. Commands fail fast while it is down (no offline queue): each
 * user decides what a failure means. It reconnects by itself.
 */
function createClient(config: TransportConfig): Redis | null {
  if (!config.redisUrl) return null;
  // Required here rather than imported: ioredis costs about 0.17 s of CPU and 18 MB of RSS at
  // start, and a service without REDIS_URL never uses it (the other files import its types only).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required lazily, as said above
  const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
  const logger = new Logger('Redis');
  const client = new RedisClient(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
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

@Module({
  providers: [{ provide: REDIS_CLIENT, inject: [TRANSPORT_CONFIG], useFactory: createClient }],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis | null) {}

  /** Connects at boot; an unreachable Redis is logged, not fatal (it is retried in the background). */
  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    await this.client.connect().catch((error: Error) => this.logger.warn(`Redis not reachable at boot: ${error.message}`));
  }

  /** After the drain (held requests record their answers) and the HTTP server's close. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.client) return;
    await this.client.quit().catch(() => this.client?.disconnect());
  }
}
