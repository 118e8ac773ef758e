/** The period of every "warn at most every 10 s" throttle: one line per outage, not one per request. */
export const WARN_EVERY_MS = 10_000;

/**
 * Tells whether a repeated warning (a store or limiter away, each request failing the same way)
 * may be logged now: at most once per `everyMs`, so that an outage costs a line every 10 s rather
 * than one per refused request.
 */
export class ThrottledWarning {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly everyMs: number = WARN_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True at most once per period; a true starts the next period. */
  due(): boolean {
    const now = this.now();
    if (now - this.last < this.everyMs) return false;
    this.last = now;
    return true;
  }
}
