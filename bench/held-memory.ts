import { join } from 'node:path';
import type { BenchOptions } from './options';
import { BenchBroker } from './support/bench-broker';
import type { CompiledBench } from './support/build';
import { afterTimeOut, climb, HeldSample, PerHeld, perHeldFigures, warmUp } from './support/held-climb';
import { HeldClient } from './support/held-client';
import { ROOT } from './support/paths';
import { usableFileLimit } from './support/processes';
import { RunningTarget, startTarget, TargetKind } from './support/targets';

/**
 * Held-request memory: each target in reply mode with no application, so
 * every request stays held; memory (after a GC) at 0 held, at each level, and
 * after the time-out answered them all. `npm run bench -- --only=held`.
 *
 * The targets climb one after the other (each alone on the CPU), but one
 * target's wait for its time-out overlaps the other's climb: the wait is most
 * of the time, and an idle target's memory does not depend on the other.
 */

export interface HeldTargetResult {
  /** REQUEST_TIMEOUT of the run kept (doubled once when requests timed out before the last level). */
  timeoutSeconds: number;
  samples: HeldSample[];
  /** (memory at N - memory at 0) / N, per level. */
  perHeld: PerHeld[];
  statuses: Record<string, number>;
  errors: number;
  /** Requests answered before the last level was measured (should be 0: the time-out is long enough). */
  answeredEarly: number;
}

export interface HeldMemoryResult {
  requestedLevels: number[];
  levels: number[];
  /** RLIMIT_NOFILE the targets and the load generator could get. */
  fileLimit: number;
  timeoutSeconds: number;
  service: HeldTargetResult;
  baseline: HeldTargetResult;
  /** service / baseline bytes per held request, per level (target <= 1.5). */
  ratios: Array<{ held: number; rss: number; heap: number | null }>;
}

const MARGIN = 1000; // descriptors for node itself, the broker connection, logs

/** What every measurement of one benchmark run shares. */
interface HeldRun {
  options: BenchOptions;
  compiled: CompiledBench;
  broker: BenchBroker;
  log: (line: string) => void;
  levels: number[];
  fileLimit: number;
}

/** A target that has climbed to the top level and now waits for its time-out. */
interface Climbed {
  kind: TargetKind;
  timeout: number;
  target: RunningTarget;
  client: HeldClient;
  samples: HeldSample[];
}

async function startHeldTarget(run: HeldRun, kind: TargetKind, timeout: number): Promise<RunningTarget> {
  const { options, compiled } = run;
  return startTarget({
    kind,
    mode: 'reply',
    transportName: `${options.runId}_${kind}_held`,
    amqpUrl: options.amqpUrl,
    prefetch: options.prefetch,
    entry: options.entry,
    baselineJs: compiled.baseline,
    probe: compiled.probe,
    fileLimit: run.fileLimit,
    env: {
      REQUEST_TIMEOUT: String(timeout),
      REQUEST_CLEANUP_INTERVAL: '1',
      MAX_PENDING_REQUESTS: '100000',
      MAX_PENDING_PER_CLIENT: '100000',
    },
  });
}

function clientScript(run: HeldRun): string[] {
  if (run.options.entry === 'dist') return [run.compiled.heldClient];
  return ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'support', 'held-client.ts')];
}

async function stopHeld(run: HeldRun, target: RunningTarget, client?: HeldClient): Promise<void> {
  await client?.close();
  await target.proc.stop();
  await run.broker.deleteQueues(target.queues);
}

async function climbTarget(run: HeldRun, kind: TargetKind, timeout: number): Promise<Climbed> {
  const target = await startHeldTarget(run, kind, timeout);
  let client: HeldClient | undefined;
  try {
    await warmUp(target, run.broker);
    client = HeldClient.start(`held-client-${kind}`, target.apiUrl, clientScript(run), run.fileLimit);
    const samples = await climb(target, run.levels, client, run.broker, { kind, log: run.log, timeoutSeconds: timeout });
    return { kind, timeout, target, client, samples };
  } catch (error) {
    await stopHeld(run, target, client);
    throw error;
  }
}

async function finishTarget(run: HeldRun, climbed: Climbed): Promise<HeldTargetResult> {
  const { kind, timeout, target, client } = climbed;
  try {
    const after = await afterTimeOut(target, client, { kind, log: run.log, timeoutSeconds: timeout });
    const samples = [...climbed.samples, after];
    const answeredEarly = Math.max(...climbed.samples.map((s) => s.answered));
    const perHeld = perHeldFigures(samples);
    return { timeoutSeconds: timeout, samples, perHeld, statuses: after.statuses, errors: after.errors, answeredEarly };
  } finally {
    await stopHeld(run, target, client);
  }
}

/** A run where the time-out came before the last level is invalid: once more, alone, with twice the time-out. */
async function validOrAgain(run: HeldRun, result: HeldTargetResult, kind: TargetKind): Promise<HeldTargetResult> {
  if (result.answeredEarly === 0) return result;
  const longer = result.timeoutSeconds * 2;
  run.log(`  ${kind}: the time-out came before the last level; again with request_timeout ${longer} s (BENCH_HELD_TIMEOUT)`);
  return finishTarget(run, await climbTarget(run, kind, longer));
}

/** Held-request levels this machine can reach: each held request is a socket on both sides. */
function reachableLevels(requested: number[], log: (line: string) => void): { levels: number[]; fileLimit: number } {
  const fileLimit = usableFileLimit(Math.max(...requested) + MARGIN);
  const cap = Math.floor((fileLimit - MARGIN) / 1000) * 1000;
  const levels = [...new Set(requested.map((level) => Math.min(level, cap)))].sort((a, b) => a - b);
  if (requested.some((level) => level > cap)) {
    log(`  capped at ${cap}: the file limit here is ${fileLimit} (raise the hard limit of ulimit -n for more)`);
  }
  return { levels, fileLimit };
}

export async function runHeldMemory(
  options: BenchOptions,
  compiled: CompiledBench,
  broker: BenchBroker,
  log: (line: string) => void,
): Promise<HeldMemoryResult> {
  log(`held-request memory: levels ${options.heldLevels.join(', ')}, request_timeout ${options.heldTimeout} s`);
  const { levels, fileLimit } = reachableLevels(options.heldLevels, log);
  const run: HeldRun = { options, compiled, broker, log, levels, fileLimit };
  const serviceClimbed = await climbTarget(run, 'service', options.heldTimeout);
  const serviceDone = finishTarget(run, serviceClimbed);
  let baselineDone: Promise<HeldTargetResult>;
  try {
    baselineDone = finishTarget(run, await climbTarget(run, 'baseline', options.heldTimeout));
  } catch (error) {
    await serviceDone.catch(() => undefined);
    throw error;
  }
  const [serviceFirst, baselineFirst] = await Promise.all([serviceDone, baselineDone]);
  const service = await validOrAgain(run, serviceFirst, 'service');
  const baseline = await validOrAgain(run, baselineFirst, 'baseline');
  const ratios = service.perHeld.map((s, i) => {
    const b = baseline.perHeld[i];
    return {
      held: s.held,
      rss: s.rssBytes / b.rssBytes,
      heap: s.heapBytes !== null && b.heapBytes ? s.heapBytes / b.heapBytes : null,
    };
  });
  return { requestedLevels: options.heldLevels, levels, fileLimit, timeoutSeconds: options.heldTimeout, service, baseline, ratios };
}
