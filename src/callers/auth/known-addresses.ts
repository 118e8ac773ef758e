import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { BoundedLru } from '../../common/bounded-lru';
import { ThrottledWarning } from '../../common/throttled-warning';
import type { RedisBreaker } from '../../platform/redis/redis-breaker';

/** How long an address stays known for a name after its last success there. */
export const KNOWN_FOR_SECONDS = 7 * 24 * 3600;
/** Name-and-address pairs kept in memory at most. */
const MEMORY_ENTRIES = 10_000;

/**
 * Addresses a user name recently authenticated from. A flood against a name
 * from elsewhere drains that name's failure bucket; an attempt from an
 * address where the name got in before skips the name's bucket (the
 * address's own bucket still applies), so the real caller is not locked out
 * even when its password is not in this instance's cache (a new pod, a
 * restart, a rotated password). Only a right password makes an entry:
 * an attacker cannot add one without the password.
 */
export interface KnownAddresses {
  isKnown(nameKey: string, address: string): Promise<boolean>;
  remember(nameKey: string, address: string): Promise<void>;
}

export class MemoryKnownAddresses implements KnownAddresses {
  private readonly entries = new BoundedLru<number>(MEMORY_ENTRIES);

  constructor(private readonly clock: () => number = Date.now) {}

  isKnown(nameKey: string, address: string): Promise<boolean> {
    const at = this.entries.get(`${nameKey} ${address}`);
    return Promise.resolve(at !== undefined && this.clock() - at < KNOWN_FOR_SECONDS * 1000);
  }

  remember(nameKey: string, address: string): Promise<void> {
    this.entries.set(`${nameKey} ${address}`, this.clock());
    return Promise.resolve();
  }
}

/**
 * The same in Redis (`<prefix>known:<name digest>:<address>`, expiring after
 * KNOWN_FOR_SECONDS), so every instance, and a restarted one, knows them;
 * this instance's memory while Redis is away. Through the instance's Redis
 * breaker, as every other Redis user: a frozen Redis costs one command
 * time-out, not one per password check.
 */
export class RedisKnownAddresses implements KnownAddresses {
  private readonly logger = new Logger('Auth');
  private readonly memory = new MemoryKnownAddresses();
  /** At most one warning per 10 s while Redis is away. */
  private readonly redisWarning = new ThrottledWarning();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly breaker: Pick<RedisBreaker, 'run'>,
  ) {}

  async isKnown(nameKey: string, address: string): Promise<boolean> {
    if (await this.memory.isKnown(nameKey, address)) return true;
    try {
      return (await this.breaker.run(() => this.redis.exists(this.key(nameKey, address)))) === 1;
    } catch (error) {
      this.warn(error);
      return false;
    }
  }

  async remember(nameKey: string, address: string): Promise<void> {
    await this.memory.remember(nameKey, address);
    try {
      await this.breaker.run(() => this.redis.set(this.key(nameKey, address), '1', 'EX', KNOWN_FOR_SECONDS));
    } catch (error) {
      this.warn(error);
    }
  }

  private key(nameKey: string, address: string): string {
    return `${this.prefix}known:${nameKey}:${address}`;
  }

  private warn(error: unknown): void {
    if (!this.redisWarning.due()) return;
    this.logger.warn(`Redis unavailable for known addresses, using this instance's memory: ${(error as Error).message}`);
  }
}
