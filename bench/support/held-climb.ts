import { BenchBroker } from './bench-broker';
import { HeldClient, HeldState } from './held-client';
import { HeldLoad } from './held-load';
import { MemoryReading, readTargetMemory } from './memory';
import { sleep } from './processes';
import { RunningTarget, TargetKind } from './targets';

/** The steps of the held-request benchmark (bench/held-memory.ts) for one target. */

export interface HeldSample extends MemoryReading {
  label: string;
  held: number;
  /** Requests already answered when sampled: above 0 before the time-out, the time-out was too short. */
  answered: number;
}

export interface PerHeld {
  held: number;
  rssBytes: number;
  heapBytes: number | null;
}

export interface Ctx {
  kind: TargetKind;
  log: (line: string) => void;
  timeoutSeconds: number;
}

const WARM_UP_REQUESTS = 500;

/** Runs the hold path once (callers that then hang up), so that 0 held is measured warm. */
export async function warmUp(target: RunningTarget, broker: BenchBroker): Promise<void> {
  const warm = new HeldLoad(target.apiUrl);
  await warm.open(WARM_UP_REQUESTS);
  await broker.waitForDepth(target.queues[0], WARM_UP_REQUESTS, 30_000);
  warm.close();
  await sleep(1000);
  await broker.purge(target.queues);
}

/** Holds ever more requests, measuring memory at 0 and at each level. */
export async function climb(target: RunningTarget, levels: number[], client: HeldClient, broker: BenchBroker, ctx: Ctx) {
  const samples: HeldSample[] = [];
  const sample = async (label: string, count: number) => {
    const { settled } = await client.state();
    samples.push({ label, held: count, answered: settled, ...(await readTargetMemory(target.proc)) });
    return samples[samples.length - 1];
  };
  ctx.log(`  ${ctx.kind.padEnd(8)} 0 held: RSS ${mb((await sample('0 held', 0)).rss)}`);
  let opened = 0;
  for (const level of levels) {
    const started = Date.now();
    opened = (await client.open(level - opened)).opened;
    const sent = (Date.now() - started) / 1000;
    const depth = await broker.waitForDepth(target.queues[0], level, 60_000);
    if (depth < level) ctx.log(`  ${ctx.kind}: only ${depth} of ${level} requests reached the broker`);
    const published = (Date.now() - started) / 1000;
    await sleep(1000);
    const at = await sample(`${level} held`, level);
    ctx.log(
      `  ${ctx.kind.padEnd(8)} ${level} held (sent in ${sent.toFixed(1)} s, published in ${published.toFixed(1)} s): RSS ${mb(at.rss)}`,
    );
    if (at.answered > 0) ctx.log(`  ${ctx.kind}: ${at.answered} were answered already: the time-out is too short`);
  }
  return samples;
}

/** Waits for the time-out to answer every held request, then measures once more. */
export async function afterTimeOut(target: RunningTarget, client: HeldClient, ctx: Ctx): Promise<HeldSample & HeldState> {
  const state = await client.waitAllSettled((ctx.timeoutSeconds + 60) * 1000);
  if (state.settled < state.opened) ctx.log(`  ${ctx.kind}: ${state.opened - state.settled} requests never answered`);
  await sleep(2000);
  const memory = await readTargetMemory(target.proc);
  ctx.log(`  ${ctx.kind.padEnd(8)} after time-out: RSS ${mb(memory.rss)}, answers ${JSON.stringify(state.statuses)}`);
  return { label: 'after time-out', held: 0, answered: state.settled, ...memory, ...state };
}

/** (memory at N - memory at 0) / N for each level. */
export function perHeldFigures(samples: HeldSample[]): PerHeld[] {
  const zero = samples[0];
  return samples
    .filter((s) => s.held > 0)
    .map((s) => ({
      held: s.held,
      rssBytes: (s.rss - zero.rss) / s.held,
      heapBytes: s.heapUsed !== null && zero.heapUsed !== null ? (s.heapUsed - zero.heapUsed) / s.held : null,
    }));
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
