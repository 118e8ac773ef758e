/**
 * Steady load for the soak test: a request every 1/rate seconds, at most
 * `maxInFlight` at once (a request that finds no room is counted as
 * skipped: the service is not keeping up). Answers are tallied per window.
 */

export interface Window {
  sent: number;
  ok: number;
  failed: number;
  skipped: number;
  latencies: number[];
}

const emptyWindow = (): Window => ({ sent: 0, ok: 0, failed: 0, skipped: 0, latencies: [] });

export class PacedLoad {
  private window = emptyWindow();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private n = 0;

  constructor(
    private readonly url: (n: number) => string,
    private readonly rate: number,
    private readonly maxInFlight: number,
    /** What a good answer looks like (fire-and-forget: a message_id; reply mode: the echo). */
    private readonly good: (n: number, status: number, body: string) => boolean,
  ) {}

  start(): void {
    // Ticks of 10 ms, sending what the rate owes since the start: steady even when timers drift.
    const started = performance.now();
    this.timer = setInterval(() => {
      const owed = Math.floor(((performance.now() - started) / 1000) * this.rate);
      while (this.n < owed) this.send(this.n++);
    }, 10);
  }

  /** The tallies since the last call. */
  take(): Window {
    const taken = this.window;
    this.window = emptyWindow();
    return taken;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.pending);
  }

  private send(n: number): void {
    if (this.inFlight >= this.maxInFlight) {
      this.window.skipped++;
      return;
    }
    this.inFlight++;
    this.window.sent++;
    const started = performance.now();
    const work = fetch(this.url(n), { signal: AbortSignal.timeout(30_000) })
      .then(async (response) => {
        const body = await response.text();
        if (this.good(n, response.status, body)) {
          this.window.ok++;
          this.window.latencies.push(performance.now() - started);
        } else this.window.failed++;
      })
      .catch(() => void this.window.failed++)
      .finally(() => {
        this.inFlight--;
        this.pending.delete(work);
      });
    this.pending.add(work);
  }
}
