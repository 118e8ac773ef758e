import { ComponentStatus } from '../../wire/vumi-message';

/** Answers in the window, by class: `down` counts very slow answers, `timeout` time-outs. */
export interface WindowCounts {
  ok: number;
  degraded: number;
  down: number;
  timeout: number;
}

export type AnswerClass = keyof WindowCounts;

/**
 * Slices per window. The ring holds one more, so an answer counts for at least
 * the whole window and at most a twentieth longer: never cleared early.
 */
const BUCKETS = 20;
const RING = BUCKETS + 1;

interface Bucket extends WindowCounts {
  /** Index of the time slice this bucket counts (now / bucket width, floored). */
  slice: number;
}

function emptyCounts(): WindowCounts {
  return { ok: 0, degraded: 0, down: 0, timeout: 0 };
}

/**
 * The answers of the last `windowSeconds`, in a fixed ring of buckets, so that
 * memory is the same at 1 or 10,000 answers a second. The state is the worst
 * class in the window: `down` while it holds a time-out or a very slow answer,
 * `degraded` while it holds a slow one, else `ok`. Reading it needs no new
 * answer: once the slow ones age out, it is `ok` again by itself.
 */
export class ResponseWindow {
  private readonly bucketMs: number;
  private readonly buckets: Bucket[];

  constructor(
    windowSeconds: number,
    /** A monotonic clock in milliseconds (a stepped wall clock must not age answers). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.bucketMs = (windowSeconds * 1000) / BUCKETS;
    this.buckets = Array.from({ length: RING }, () => ({ slice: -Infinity, ...emptyCounts() }));
  }

  record(answer: AnswerClass): void {
    const slice = Math.floor(this.now() / this.bucketMs);
    const bucket = this.buckets[slice % RING];
    if (bucket.slice !== slice) Object.assign(bucket, { slice, ...emptyCounts() });
    bucket[answer]++;
  }

  /** Counts over the buckets still inside the window. */
  counts(): WindowCounts {
    const oldest = Math.floor(this.now() / this.bucketMs) - BUCKETS;
    const total = emptyCounts();
    for (const bucket of this.buckets) {
      if (bucket.slice < oldest) continue;
      total.ok += bucket.ok;
      total.degraded += bucket.degraded;
      total.down += bucket.down;
      total.timeout += bucket.timeout;
    }
    return total;
  }

  static stateOf(counts: WindowCounts): ComponentStatus {
    if (counts.down > 0 || counts.timeout > 0) return 'down';
    if (counts.degraded > 0) return 'degraded';
    return 'ok';
  }
}
