import { Listeners } from './listeners';
import { ThrottledWarning, WARN_EVERY_MS } from './throttled-warning';

/**
 * A per-message log line that a flood must not turn into a flood of lines
 * (issue 21: 20,000 malformed outbound messages were 20,000 lines, 8 MB in
 * 4 s): written at most once per period (ThrottledWarning, the period failed
 * logins use), the lines in between counted. The next line written gets how
 * many were left out since the previous one, and every line left out is
 * reported to `onSuppressed` (a metric), so a flood stays visible.
 */
export class ThrottledLines {
  private readonly throttle: ThrottledWarning;
  private pending = 0;
  private readonly suppressedListeners = new Listeners<[kind: string]>();

  constructor(
    readonly kind: string,
    everyMs: number = WARN_EVERY_MS,
    now: () => number = Date.now,
  ) {
    this.throttle = new ThrottledWarning(everyMs, now);
  }

  onSuppressed(listener: (kind: string) => void): void {
    this.suppressedListeners.add(listener);
  }

  /** Calls `write` with the number of lines left out since the last one, if a line is due; else counts this one. */
  write(write: (suppressedSince: number) => void): void {
    if (!this.throttle.due()) {
      this.pending += 1;
      this.suppressedListeners.emit(this.kind);
      return;
    }
    const suppressed = this.pending;
    this.pending = 0;
    write(suppressed);
  }
}

/** ` (and N more <what> since the last line)`, or nothing when none was left out. */
export function suppressedNote(suppressed: number, what: string): string {
  return suppressed > 0 ? ` (and ${suppressed} more ${what} since the last line)` : '';
}
