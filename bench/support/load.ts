import autocannon from 'autocannon';

/** One round of load against one target. */
export interface RoundFigures {
  round: number;
  seconds: number;
  /** 2xx answers per second: what the target actually got done. */
  reqPerSec: number;
  ok: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Peak RSS of the target process during the round, bytes. */
  peakRss: number;
  /** CPU time the target process used per 2xx answer, microseconds. */
  cpuMicros: number;
}

export type LoadResult = Omit<RoundFigures, 'round' | 'peakRss' | 'cpuMicros'>;

/**
 * Fixed connections for a fixed time, autocannon as a library (latencies in ms); `[<id>]` in a header is a new id per request.
 * The fallback load generator (bench/support/wrk.ts is the first choice): in the bench's own process it caps near 6k req/s.
 */
export async function runLoad(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
  overallRate?: number,
): Promise<LoadResult> {
  const idReplacement = Object.values(headers).some((value) => value.includes('[<id>]'));
  const result = await autocannon({ url, connections, duration: seconds, timeout: 30, headers, idReplacement, overallRate });
  const ok = result['2xx'];
  return {
    seconds: result.duration,
    reqPerSec: ok / result.duration,
    ok,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** A target's rounds in one mode, summed up. */
export interface TargetSummary {
  rounds: RoundFigures[];
  /** All 2xx answers over all rounds' time. */
  reqPerSec: number;
  /** Medians over the rounds (robust to one noisy round on a shared machine). */
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  peakRss: number;
  /** Target CPU time per 2xx answer over all rounds, microseconds. */
  cpuMicros: number;
  /** VmHWM at the end: the peak since start, warm-up included. */
  hwm: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // Rounded to a tenth: an even count averages two latencies, and the report prints the figure as is.
  return Math.round((sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2) * 10) / 10;
}

export function summarise(rounds: RoundFigures[], hwm: number): TargetSummary {
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const ok = rounds.reduce((sum, r) => sum + r.ok, 0);
  return {
    rounds,
    reqPerSec: ok / seconds,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    max: Math.max(...rounds.map((r) => r.max)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    peakRss: Math.max(...rounds.map((r) => r.peakRss)),
    cpuMicros: rounds.reduce((sum, r) => sum + r.cpuMicros * r.ok, 0) / ok,
    hwm,
  };
}

/** Two-sided 95 % quantiles of Student's t for 1..10 degrees of freedom (then the normal's 1.96 is near enough). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/**
 * The ratio of throughputs with a 95 % interval, from rounds taken in pairs (round i of the
 * service against round i of the baseline, run one after the other): the geometric mean of the
 * per-round ratios, and t-interval on their logarithms. Null with fewer than two pairs. The
 * interval is what tells a gap from the broker's round-to-round swing: when it straddles 1.0, the
 * run cannot say which target is faster.
 */
export function pairedRatio(service: RoundFigures[], baseline: RoundFigures[]): { ratio: number; low: number; high: number } | null {
  const logs: number[] = [];
  for (let i = 0; i < Math.min(service.length, baseline.length); i++) {
    const s = service[i].ok / service[i].seconds;
    const b = baseline[i].ok / baseline[i].seconds;
    if (s > 0 && b > 0) logs.push(Math.log(s / b));
  }
  const n = logs.length;
  if (n < 2) return null;
  const mean = logs.reduce((sum, x) => sum + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1));
  const half = (T95[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { ratio: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half) };
}
