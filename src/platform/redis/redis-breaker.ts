import { Logger } from '@nestjs/common';

/** up: commands go to Redis. down: they fail at once. probing: down, and a probe is on its way. */
export type RedisState = 'up' | 'down' | 'probing';

export const REDIS_STATES: readonly RedisState[] = ['up', 'down', 'probing'];

/** A command refused without asking Redis: the breaker is open (Redis timed out or failed lately). */
export class RedisUnavailableError extends Error {
  constructor(readonly lastError: string) {
    super(`Redis unavailable: not asked while it is down (last error: ${lastError})`);
    this.name = 'RedisUnavailableError';
  }
}

/** Errors that say nothing about Redis' health: Redis answered (a script's error, a wrong type). */
function answeredByRedis(error: unknown): boolean {
  return (error as Error)?.name === 'ReplyError' && !/^(READONLY|LOADING|MASTERDOWN|BUSY)/.test((error as Error).message);
}

export interface RedisBreakerOptions {
  /** Sends one cheap command (PING) with the command time-out: resolves when Redis answered. */
  probe: () => Promise<unknown>;
  /** Milliseconds between probes while Redis is down. */
  probeIntervalMs: number;
  /**
   * Called when a probe timed out: the connection may be half-open (a partition, a master that
   * vanished without closing it) and is never closed by a time-out: reconnecting asks the
   * sentinels for the master again.
   */
  reconnect?: () => void;
}

/**
 * One per instance, shared by every user of the Redis client (idempotency,
 * rate limits, failed-authentication buckets). A frozen Redis (the
 * connection open, no answers) would otherwise cost every request the
 * command time-out: after one command fails for want of an answer or a
 * connection, the breaker opens and every command fails at once (its users
 * fall back: memory limits, 503 for keys) while a PING, every
 * probeIntervalMs, asks Redis in the background; the first answer closes it.
 * No request ever waits for a probe.
 */
export class RedisBreaker {
  private readonly logger = new Logger('Redis');
  private current: RedisState = 'up';
  private lastError = '';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly listeners: Array<(state: RedisState) => void> = [];
  /** Times the breaker opened (Redis went from up to down). */
  opens = 0;

  constructor(private readonly options: RedisBreakerOptions) {}

  get state(): RedisState {
    return this.current;
  }

  /** The error that opened the breaker last ('' while it never did). */
  get error(): string {
    return this.lastError;
  }

  onStateChange(listener: (state: RedisState) => void): void {
    this.listeners.push(listener);
  }

  /** Runs `command` unless the breaker is open; a failure that says Redis is away opens it. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.current !== 'up') throw new RedisUnavailableError(this.lastError);
    try {
      return await command();
    } catch (error) {
      if (!answeredByRedis(error)) this.open(error);
      throw error;
    }
  }

  /** Stops probing (shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private open(error: unknown): void {
    this.lastError = (error as Error)?.message ?? String(error);
    if (this.current !== 'up') return;
    this.opens++;
    this.logger.warn(`Redis not answering (${this.lastError}): not asked again for ${this.options.probeIntervalMs} ms, then probed`);
    this.set('down');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    this.timer = null;
    this.set('probing');
    try {
      await this.options.probe();
    } catch (error) {
      this.lastError = (error as Error)?.message ?? String(error);
      if (/timed out/i.test(this.lastError)) this.options.reconnect?.();
      this.set('down');
      this.scheduleProbe();
      return;
    }
    this.logger.log('Redis answers again');
    this.set('up');
  }

  private set(state: RedisState): void {
    if (state === this.current) return;
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}
