import { settleWithin } from '../common/settle-within';

/** What a healthy broker needs for a close-ok, given to each close even once the budget is spent. */
export const CLOSE_FLOOR_MS = 250;

/**
 * The way out's one budget. Once the held requests are answered, every broker round trip of the
 * shutdown (cancelling the consumers, finishing messages in hand and publishes in flight, removing
 * the instance's queue, closing channels and connections) shares PUBLISH_TIMEOUT: a broker that
 * froze or died mid-shutdown costs that much once, not once per step, and the pod's grace period
 * (preStop + SHUTDOWN_TIMEOUT + PUBLISH_TIMEOUT, docs/deploy.md) holds. Before `start()` (an app
 * closed without the drain, as tests do) each step gets the whole budget.
 */
export class ClosingDeadline {
  private deadline: number | undefined;

  constructor(private readonly budgetMs: number) {}

  /** The clock starts once; later calls keep the first deadline. */
  start(): void {
    this.deadline ??= Date.now() + this.budgetMs;
  }

  /** Milliseconds left for waiting on the broker (the whole budget before `start()`). */
  get remainingMs(): number {
    return this.deadline === undefined ? this.budgetMs : Math.max(0, this.deadline - Date.now());
  }

  /** Waits (polling every 10 ms) until `done()` or the budget runs out; true if `done()`. */
  async waitUntil(done: () => boolean): Promise<boolean> {
    while (!done() && this.remainingMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(1, this.remainingMs))));
    }
    return done();
  }

  /** Runs a close, abandoned when the budget runs out (CLOSE_FLOOR_MS at least); true if it settled. */
  close(work: () => Promise<unknown>): Promise<boolean> {
    return settleWithin(Math.max(CLOSE_FLOOR_MS, this.remainingMs), work);
  }

  /** Runs other broker work of the way out, abandoned when the budget runs out; true if it settled. */
  within(work: () => Promise<unknown>): Promise<boolean> {
    return settleWithin(this.remainingMs, work);
  }
}
