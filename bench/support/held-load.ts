import { Agent, request } from 'node:http';
import { sleep } from './processes';

/**
 * Opens many concurrent requests that stay open (no application replies), one
 * TCP connection each, as real callers waiting for replies would: plain
 * `http.request`, no keep-alive, no socket limit. Counts how they end.
 */
export class HeldLoad {
  private readonly agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  private openedCount = 0;
  private settledCount = 0;
  private errorCount = 0;
  private readonly statuses = new Map<number, number>();

  constructor(private readonly url: string) {}

  get opened(): number {
    return this.openedCount;
  }

  /** Requests answered or failed so far. */
  get settled(): number {
    return this.settledCount;
  }

  get errors(): number {
    return this.errorCount;
  }

  statusCounts(): Record<string, number> {
    return Object.fromEntries(this.statuses);
  }

  /**
   * Opens `count` more requests, at most `window` of them still being sent at
   * once (the listen backlog is 511); resolves when all have been sent.
   */
  open(count: number, window = 200): Promise<void> {
    return new Promise((resolve) => {
      let started = 0;
      let sent = 0;
      const next = () => {
        while (started < count && started - sent < window) {
          started++;
          this.openedCount++;
          this.one(() => {
            sent++;
            if (sent === count) resolve();
            else next();
          });
        }
      };
      if (count <= 0) resolve();
      else next();
    });
  }

  /** Waits until every opened request has been answered or failed; false after `ms`. */
  async waitAllSettled(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.settledCount < this.openedCount) {
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
    return true;
  }

  close(): void {
    this.agent.destroy();
  }

  private one(onSent: () => void): void {
    let sent = false;
    let settled = false;
    const sentOnce = () => {
      if (sent) return;
      sent = true;
      onSent();
    };
    const settleOnce = (error: boolean) => {
      if (settled) return;
      settled = true;
      if (error) this.errorCount++;
      this.settledCount++;
    };
    const req = request(this.url, { agent: this.agent });
    req.once('finish', sentOnce);
    req.once('response', (res) => {
      this.statuses.set(res.statusCode ?? 0, (this.statuses.get(res.statusCode ?? 0) ?? 0) + 1);
      res.resume();
      res.once('end', () => settleOnce(false));
      res.once('error', () => settleOnce(true));
    });
    req.once('error', () => {
      settleOnce(true);
      sentOnce();
    });
    req.end();
  }
}
