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
