import { callFailure } from './http-call';

/**
 * Concurrent API callers on loopback, bounded in count and in how long one
 * call may take (a call past `hangMs` counts as a hang). Each call is kept as
 * a record to judge afterwards: when it started and ended, what it got.
 */

export interface CallRecord {
  n: number;
  startedAt: number;
  endedAt: number;
  status: number | 'hang' | 'error';
  retryAfter: string | null;
  messageId?: string;
  body?: string;
  error?: string;
}

export interface LoadOptions {
  /** Builds the URL of call number n. */
  url(n: number): string;
  concurrency: number;
  /** Calls at most (a safety bound; tests normally stop the loop themselves). */
  maxCalls: number;
  hangMs: number;
}

export class LoadLoop {
  readonly records: CallRecord[] = [];
  private stopped = false;
  /** Every worker has recorded its last call. */
  private finished = false;
  private issued = 0;
  private readonly workers: Promise<void>[];

  constructor(private readonly options: LoadOptions) {
    this.workers = Array.from({ length: options.concurrency }, () => this.work());
    void Promise.all(this.workers).then(() => (this.finished = true));
  }

  /** Records that match `where`. */
  count(where: (record: CallRecord) => boolean = () => true): number {
    let total = 0;
    for (const record of this.records) if (where(record)) total++;
    return total;
  }

  /** Waits until `count(where)` reaches `target`; fails after `timeoutMs` or when the loop ran out of calls. */
  async waitFor(what: string, where: (record: CallRecord) => boolean, target: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(where) < target) {
      if (Date.now() >= deadline || this.finished) {
        throw new Error(`load: ${what}: ${this.count(where)} of ${target} within ${timeoutMs} ms (${this.summary()})`);
      }
      await new Promise((done) => setTimeout(done, 20));
    }
  }

  async stop(): Promise<CallRecord[]> {
    this.stopped = true;
    await Promise.all(this.workers);
    return this.records;
  }

  summary(): string {
    const byStatus = new Map<string, number>();
    for (const record of this.records) byStatus.set(String(record.status), (byStatus.get(String(record.status)) ?? 0) + 1);
    return [...byStatus].map(([status, count]) => `${status}: ${count}`).join(', ');
  }

  private async work(): Promise<void> {
    while (!this.stopped && this.issued < this.options.maxCalls) {
      const n = this.issued++;
      this.records.push(await this.once(n));
    }
    this.stopped = true;
  }

  private async once(n: number): Promise<CallRecord> {
    const startedAt = performance.now();
    const record = (fields: Partial<CallRecord>): CallRecord => ({
      n,
      startedAt,
      endedAt: performance.now(),
      status: 'error',
      retryAfter: null,
      ...fields,
    });
    try {
      const response = await fetch(this.options.url(n), { signal: AbortSignal.timeout(this.options.hangMs) });
      const body = await response.text();
      const retryAfter = response.headers.get('retry-after');
      if (response.status === 200 && response.headers.get('content-type')?.includes('json')) {
        // Fire-and-forget answers the id; in reply mode the body is the reply itself.
        return record({ status: 200, retryAfter, messageId: (JSON.parse(body) as { message_id: string }).message_id });
      }
      return record({ status: response.status, retryAfter, body });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') return record({ status: 'hang' });
      return record({ error: callFailure(error) });
    }
  }
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
