import type { BenchOptions } from './options';
import { BenchBroker } from './support/bench-broker';
import { LoadResult, pairedRatio, RoundFigures, runLoad, summarise, TargetSummary } from './support/load';
import { findWrk, runWrk } from './support/wrk';
import { readCpuSeconds } from './support/cpu';
import { readProcMemory, RssSampler } from './support/memory';
import { BenchProcess, sleep } from './support/processes';
import { Mode, PROFILE_DIR, RunningTarget, startEcho, startTarget, TargetKind } from './support/targets';

/** Who drove the load: wrk in a process of its own, or autocannon in the bench's process (a fallback: it caps near 6k req/s). */
export type LoadGenerator = 'wrk' | 'autocannon';

/** Both targets at the same offered rate (half the baseline's maximum), p99 side by side. */
export interface FixedRateResult {
  offeredRate: number;
  service: LoadResult & { cpuMicros: number };
  baseline: LoadResult & { cpuMicros: number };
  p99Ratio: number;
}

export interface ModeResult {
  generator: LoadGenerator;
  service: TargetSummary;
  baseline: TargetSummary;
  /** CPU the load generator used per request it got answered, over all rounds, microseconds (wrk only). */
  generatorCpuMicros: Record<TargetKind, number | null>;
  fixedRate?: FixedRateResult;
  /** service / baseline: throughput wants >= 0.9, p99 <= 1.5; CPU per request for where it goes. */
  ratios: { throughput: number; p99: number; cpuPerRequest: number };
  /** The throughput ratio from the rounds taken in pairs, with its 95 % interval (null with one round). */
  throughputInterval: { ratio: number; low: number; high: number } | null;
  warmUp: Record<TargetKind, LoadResult>;
  /** Start to ready, and RSS before any traffic, of each target in this mode. */
  startup: Record<TargetKind, { readyMs: number; idleRss: number }>;
}

const KINDS: TargetKind[] = ['service', 'baseline'];

function describe(figures: LoadResult): string {
  const errors = figures.errors + figures.non2xx;
  return (
    `${figures.reqPerSec.toFixed(0)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms` +
    (errors > 0 ? `, ${figures.errors} errors, ${figures.non2xx} non-2xx` : '')
  );
}

/** Starts one target (and, in reply mode, its echo application), ready for load. */
async function startPair(
  kind: TargetKind,
  mode: Mode,
  options: BenchOptions,
  baselineJs: string,
  broker: BenchBroker,
  children: BenchProcess[],
): Promise<RunningTarget> {
  const transportName = `${options.runId}_${kind}_${mode}`;
  if (mode === 'reply') children.push(startEcho(transportName, options.amqpUrl, options.entry));
  const target = await startTarget({
    kind,
    mode,
    transportName,
    amqpUrl: options.amqpUrl,
    prefetch: options.prefetch,
    entry: options.entry,
    baselineJs,
    profileDir: options.profile ? PROFILE_DIR : undefined,
    serviceEnv: options.serviceEnv,
  });
  children.push(target.proc);
  if (mode === 'reply' && !(await broker.waitForConsumer(target.queues[0], 30_000))) {
    throw new Error(`no echo application consuming ${target.queues[0]}; see bench/results/logs`);
  }
  return target;
}

/** One mode: both targets up, a warm-up each, then alternating rounds under the same load. */
async function runMode(
  mode: Mode,
  options: BenchOptions,
  baselineJs: string,
  broker: BenchBroker,
  log: (line: string) => void,
): Promise<ModeResult> {
  const children: BenchProcess[] = [];
  const targets: RunningTarget[] = [];
  const wrk = options.generator === 'autocannon' ? null : findWrk(log);
  const generator: LoadGenerator = wrk ? 'wrk' : 'autocannon';
  if (!wrk)
    log(
      `  ${mode}: load from autocannon in this process (wrk ${options.generator === 'autocannon' ? 'not asked for' : 'unavailable'}); it caps near 6k req/s`,
    );
  const generatorCpu: Record<TargetKind, { seconds: number; ok: number }> = {
    service: { seconds: 0, ok: 0 },
    baseline: { seconds: 0, ok: 0 },
  };
  const load = async (url: string, seconds: number, kind?: TargetKind, rate?: number): Promise<LoadResult> => {
    if (!wrk) return runLoad(url, options.connections, seconds, options.headers, rate);
    const result = await runWrk(wrk, url, options.connections, seconds, options.headers, rate, options.wrkThreads);
    if (kind && rate === undefined) {
      generatorCpu[kind].seconds += result.generatorCpuSeconds;
      generatorCpu[kind].ok += result.ok;
    }
    return result;
  };
  try {
    for (const kind of KINDS) targets.push(await startPair(kind, mode, options, baselineJs, broker, children));
    const startup = {} as ModeResult['startup'];
    for (const target of targets) {
      startup[target.kind] = { readyMs: target.readyMs, idleRss: target.idleRss };
      log(
        `  ${mode} ${target.kind}: ready ${target.readyMs.toFixed(0)} ms after spawn, idle RSS ${(target.idleRss / 1048576).toFixed(1)} MB`,
      );
    }
    const warmUp = {} as Record<TargetKind, LoadResult>;
    for (const target of targets) {
      await broker.purge(target.queues);
      warmUp[target.kind] = await load(target.apiUrl, options.warmup);
      log(`  ${mode} warm-up ${target.kind}: ${describe(warmUp[target.kind])}`);
    }
    const rounds: Record<TargetKind, RoundFigures[]> = { service: [], baseline: [] };
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of targets) {
        // Fire-and-forget fills the inbound queue; every round starts from empty queues.
        await broker.purge(target.queues);
        await sleep(300);
        if (!target.proc.alive) throw new Error(`${target.kind} died; see ${target.proc.logFile}`);
        const sampler = new RssSampler(target.proc.pid).start();
        const cpuBefore = readCpuSeconds(target.proc.pid) ?? 0;
        const figures = await load(target.apiUrl, options.duration, target.kind);
        const cpuMicros = (((readCpuSeconds(target.proc.pid) ?? 0) - cpuBefore) * 1e6) / Math.max(1, figures.ok);
        rounds[target.kind].push({ round, ...figures, peakRss: sampler.stop(), cpuMicros });
        log(
          `  ${mode} round ${round}/${options.rounds} ${target.kind.padEnd(8)}: ${describe(figures)}, CPU ${cpuMicros.toFixed(0)} us/req`,
        );
      }
    }
    const [service, baseline] = targets.map((t) => summarise(rounds[t.kind], readProcMemory(t.proc.pid)?.hwm ?? 0));
    let fixedRate: FixedRateResult | undefined;
    if (options.fixedRate) {
      const offeredRate = Math.max(100, Math.round(baseline.reqPerSec / 2));
      const paced = {} as Record<TargetKind, LoadResult & { cpuMicros: number }>;
      for (const target of targets) {
        await broker.purge(target.queues);
        await sleep(300);
        const cpuBefore = readCpuSeconds(target.proc.pid) ?? 0;
        const figures = await load(target.apiUrl, options.duration, target.kind, offeredRate);
        const cpuMicros = (((readCpuSeconds(target.proc.pid) ?? 0) - cpuBefore) * 1e6) / Math.max(1, figures.ok);
        paced[target.kind] = { ...figures, cpuMicros };
        log(`  ${mode} fixed rate ${offeredRate}/s ${target.kind.padEnd(8)}: ${describe(figures)}, CPU ${cpuMicros.toFixed(0)} us/req`);
      }
      fixedRate = { offeredRate, service: paced.service, baseline: paced.baseline, p99Ratio: paced.service.p99 / paced.baseline.p99 };
    }
    const perRequest = (kind: TargetKind) =>
      generator === 'wrk' && generatorCpu[kind].ok > 0 ? (generatorCpu[kind].seconds * 1e6) / generatorCpu[kind].ok : null;
    return {
      generator,
      generatorCpuMicros: { service: perRequest('service'), baseline: perRequest('baseline') },
      fixedRate,
      service,
      baseline,
      ratios: {
        throughput: service.reqPerSec / baseline.reqPerSec,
        p99: service.p99 / baseline.p99,
        cpuPerRequest: service.cpuMicros / baseline.cpuMicros,
      },
      throughputInterval: pairedRatio(rounds.service, rounds.baseline),
      warmUp,
      startup,
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    for (const target of targets) await broker.deleteQueues(target.queues);
  }
}

export async function runThroughput(
  options: BenchOptions,
  baselineJs: string,
  broker: BenchBroker,
  log: (line: string) => void,
): Promise<Partial<Record<Mode, ModeResult>>> {
  const results: Partial<Record<Mode, ModeResult>> = {};
  for (const mode of options.modes) {
    log(
      `throughput, ${mode === 'fire' ? 'fire-and-forget' : 'reply mode (echo application)'}: ` +
        `${options.connections} connections, ${options.rounds} x ${options.duration} s per target`,
    );
    results[mode] = await runMode(mode, options, baselineJs, broker, log);
  }
  return results;
}
