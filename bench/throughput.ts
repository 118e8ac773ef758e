import type { BenchOptions } from './options';
import { BenchBroker } from './support/bench-broker';
import { LoadResult, RoundFigures, runLoad, summarise, TargetSummary } from './support/load';
import { readCpuSeconds } from './support/cpu';
import { readProcMemory, RssSampler } from './support/memory';
import { BenchProcess, sleep } from './support/processes';
import { Mode, PROFILE_DIR, RunningTarget, startEcho, startTarget, TargetKind } from './support/targets';

export interface ModeResult {
  service: TargetSummary;
  baseline: TargetSummary;
  /** service / baseline: throughput wants >= 0.9, p99 <= 1.5; CPU per request for where it goes. */
  ratios: { throughput: number; p99: number; cpuPerRequest: number };
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
      warmUp[target.kind] = await runLoad(target.apiUrl, options.connections, options.warmup, options.headers);
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
        const load = await runLoad(target.apiUrl, options.connections, options.duration, options.headers);
        const cpuMicros = (((readCpuSeconds(target.proc.pid) ?? 0) - cpuBefore) * 1e6) / Math.max(1, load.ok);
        rounds[target.kind].push({ round, ...load, peakRss: sampler.stop(), cpuMicros });
        log(`  ${mode} round ${round}/${options.rounds} ${target.kind.padEnd(8)}: ${describe(load)}, CPU ${cpuMicros.toFixed(0)} us/req`);
      }
    }
    const [service, baseline] = targets.map((t) => summarise(rounds[t.kind], readProcMemory(t.proc.pid)?.hwm ?? 0));
    return {
      service,
      baseline,
      ratios: {
        throughput: service.reqPerSec / baseline.reqPerSec,
        p99: service.p99 / baseline.p99,
        cpuPerRequest: service.cpuMicros / baseline.cpuMicros,
      },
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
