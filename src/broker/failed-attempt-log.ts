import { LoggerService } from '@nestjs/common';
import { WARN_EVERY_MS } from '../common/throttled-warning';

/**
 * The log of failed connection attempts while a broker is away (at start or
 * after a loss): one warn line per attempt, naming the node (`host:port`,
 * never credentials) and the error, throttled per node to one line per
 * `everyMs`. A line carries the attempts it stands for, so a whole cluster
 * away for an hour costs a line per node every 10 s, not one per reconnect
 * interval, and the first attempt is always logged at once.
 */
export class FailedAttemptLog {
  private readonly lastLogged = new Map<string, number>();
  private readonly unlogged = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly logger: LoggerService,
    private readonly role: string,
    private readonly everyMs = WARN_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** One failed attempt on `node`; logged unless a line for that node went out less than `everyMs` ago. */
  failed(node: string, error: string): void {
    this.total++;
    const now = this.now();
    const skipped = this.unlogged.get(node) ?? 0;
    if (now - (this.lastLogged.get(node) ?? Number.NEGATIVE_INFINITY) < this.everyMs) {
      this.unlogged.set(node, skipped + 1);
      return;
    }
    this.lastLogged.set(node, now);
    this.unlogged.delete(node);
    const more = skipped > 0 ? ` (${skipped} more failed attempt${skipped === 1 ? '' : 's'} on it since the last line)` : '';
    this.logger.warn({
      msg: `Cannot reach the broker node ${node}: ${error}; attempt ${this.total}${more}, trying again`,
      node,
      role: this.role,
      error,
      attempt: this.total,
    });
  }

  /** Connected: the next outage starts its count and its lines afresh. */
  reset(): void {
    this.lastLogged.clear();
    this.unlogged.clear();
    this.total = 0;
  }
}
