import { ConfirmChannel, Options } from 'amqplib';
import { bodyBytes, PublishFrames, withRequestIdHeader } from './publish-frames';

interface Awaiting {
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: number;
  done: boolean;
}

/** The error a publish fails with when its confirm did not come in time (as amqp-connection-manager's). */
export const CONFIRM_TIMEOUT = 'timeout';

/**
 * Publishes straight on an amqplib confirm channel and settles each publish
 * with its confirm (or nack, or the channel's close), or with a time-out
 * error after `timeoutMs`. One timer serves every publish: they all wait the
 * same time, so they expire in the order they were sent, and the timer is
 * only armed for the oldest. amqp-connection-manager's wrapper does the same
 * job with a timer, a queue entry, a rest-spread of the options and two
 * linear searches per publish; it still carries publishes while no channel
 * is up (MessagePublisher falls back to it then).
 */
export class ConfirmWindow {
  /** Oldest first; entries before `head` are settled. */
  private queue: Awaiting[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /**
   * `framed`, when given, sends the publish from pre-encoded frames; its options must be these `options`.
   * `requestId` goes into the `x-request-id` header either way (framed, or added to `options` for amqplib).
   */
  publish(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    body: Buffer | string,
    options: Options.Publish,
    framed?: PublishFrames,
    requestId?: string,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Awaiting = { resolve, reject, deadline: performance.now() + this.timeoutMs, done: false };
      this.queue.push(entry);
      if (this.timer === undefined) this.arm(this.timeoutMs);
      const confirmed = (error: unknown) => this.settle(entry, (error as Error | undefined) ?? null);
      try {
        if (framed?.send(channel, routingKey, body, confirmed, requestId)) return;
        // Returns false when amqplib's buffer is full: it still sends; MAX_PENDING_PUBLISHES bounds what waits.
        const properties = requestId === undefined ? options : withRequestIdHeader(options, requestId);
        channel.publish(exchange, routingKey, bodyBytes(body), properties, confirmed);
      } catch (error) {
        this.settle(entry, error as Error);
      }
    });
  }

  /** Publishes awaiting their confirm. */
  get size(): number {
    let count = 0;
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i].done) count++;
    return count;
  }

  private settle(entry: Awaiting, error: Error | null): void {
    if (entry.done) return; // already timed out, or a second callback
    entry.done = true;
    if (error) entry.reject(error);
    else entry.resolve();
    // Confirms come mostly in order: the settled front is dropped at once, so the queue stays about as long as what is in flight.
    while (this.head < this.queue.length && this.queue[this.head].done) this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, ms));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head];
      if (!entry.done && entry.deadline > now) break;
      this.settle(entry, new Error(CONFIRM_TIMEOUT));
      if (entry === this.queue[this.head]) this.head++; // settle() did not move past it (it was done already)
    }
    if (this.head < this.queue.length) this.arm(this.queue[this.head].deadline - now);
  }
}
