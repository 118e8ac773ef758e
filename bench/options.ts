import { randomBytes } from 'node:crypto';
import type { Mode } from './support/targets';

export type BenchPart = 'throughput' | 'held' | 'sweep' | 'hostile';

/** Every part, in the order they run; `hostile` replays issue 12's attacks (bench/hostile-*.ts). */
export const BENCH_PARTS: readonly BenchPart[] = ['throughput', 'held', 'sweep', 'hostile'];

/** What `npm run bench` does, from env knobs (and `--quick` / `--only=...` flags). */
export interface BenchOptions {
  amqpUrl: string;
  connections: number;
  /** Seconds per round. */
  duration: number;
  /** Rounds per target and mode (service and baseline alternate). */
  rounds: number;
  /** Seconds of warm-up load per target before its rounds. */
  warmup: number;
  modes: Mode[];
  parts: BenchPart[];
  /** Held-request counts to measure at (capped by the file limit). */
  heldLevels: number[];
  /**
   * REQUEST_TIMEOUT (seconds) of the held-request run: must outlast the climb to the top level
   * (about 20 s for 19,000 on 2 busy cores); the wait overlaps the other target's climb.
   */
  heldTimeout: number;
  /** AMQP_PREFETCH_COUNT for both targets' outbound consumers. */
  prefetch: number;
  entry: 'dist' | 'ts';
  /** Write V8 CPU profiles of the targets to bench/results/profiles. */
  profile: boolean;
  quick: boolean;
  /** Prefix of this run's transport names (and queues). */
  runId: string;
  /** Extra env of the service only (BENCH_SERVICE_ENV, a JSON object), e.g. to turn features on. */
  serviceEnv: Record<string, string>;
  /** Headers of every load request (BENCH_HEADERS, a JSON object); `[<id>]` becomes a new id per request. */
  headers: Record<string, string>;
  /** The throughput part's load generator: wrk in its own process (installed from Debian when missing), else autocannon. */
  generator: 'wrk' | 'autocannon';
  /** wrk threads (BENCH_WRK_THREADS). */
  wrkThreads: number;
  /** Also run both targets at half the baseline's maximum rate, p99 side by side (BENCH_FIXED_RATE=0 turns it off). */
  fixedRate: boolean;
}

export const KNOBS = `Env knobs: BENCH_QUICK=1 (about a minute), BENCH_DURATION (s per round, 8), BENCH_ROUNDS (3),
BENCH_CONNECTIONS (64), BENCH_WARMUP (s, 3), BENCH_MODES (fire,reply), BENCH_PARTS (throughput,held,sweep,hostile),
BENCH_HELD (levels, 10000,50000), BENCH_HELD_TIMEOUT (s, 60), BENCH_PREFETCH (20), BENCH_ENTRY (dist|ts),
BENCH_PROFILE=1 (CPU profiles in bench/results/profiles), BENCH_SERVICE_ENV (JSON object: extra service env),
BENCH_HEADERS (JSON object: request headers, [<id>] replaced by a new id per request),
BENCH_LOAD (wrk|autocannon, wrk), BENCH_WRK_THREADS (1), BENCH_FIXED_RATE (1: a paced round per target at half the baseline's rate),
BENCH_HOSTILE_CONNECTIONS (password flood connections, 30), BENCH_HOSTILE_SECONDS (s per flood, 10). Flags: --quick, --only=held,sweep,hostile.`;

function flag(name: string): string | undefined {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : (arg.split('=')[1] ?? '1');
}

function number(env: string, fallback: number): number {
  const text = process.env[env];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${env} must be a positive number (got ${text})`);
  return value;
}

/** A JSON object of strings from an env knob ({} when unset). */
function stringMap(env: string): Record<string, string> {
  const text = process.env[env];
  if (text === undefined || text === '') return {};
  const parsed: unknown = JSON.parse(text);
  const ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!ok || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error(`${env} must be a JSON object of strings (got ${text})`);
  }
  return parsed as Record<string, string>;
}

function list(text: string | undefined, fallback: string[]): string[] {
  return text
    ? text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : fallback;
}

export function readOptions(): BenchOptions {
  const quick = flag('quick') !== undefined || process.env.BENCH_QUICK === '1';
  const parts = list(flag('only') ?? process.env.BENCH_PARTS, [...BENCH_PARTS]);
  const modes = list(process.env.BENCH_MODES, ['fire', 'reply']);
  for (const part of parts) if (!(BENCH_PARTS as readonly string[]).includes(part)) throw new Error(`unknown part ${part}`);
  for (const mode of modes) if (mode !== 'fire' && mode !== 'reply') throw new Error(`unknown mode ${mode}`);
  const entry = process.env.BENCH_ENTRY ?? 'dist';
  if (entry !== 'dist' && entry !== 'ts') throw new Error('BENCH_ENTRY must be dist or ts');
  return {
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/',
    connections: Math.round(number('BENCH_CONNECTIONS', 64)),
    duration: number('BENCH_DURATION', quick ? 3 : 8),
    rounds: Math.round(number('BENCH_ROUNDS', quick ? 1 : 3)),
    warmup: number('BENCH_WARMUP', quick ? 1 : 3),
    modes: modes as Mode[],
    parts: parts as BenchPart[],
    heldLevels: list(process.env.BENCH_HELD, quick ? ['2000', '5000'] : ['10000', '50000']).map(Number),
    heldTimeout: Math.round(number('BENCH_HELD_TIMEOUT', quick ? 20 : 60)),
    prefetch: Math.round(number('BENCH_PREFETCH', 20)),
    entry,
    profile: process.env.BENCH_PROFILE === '1',
    quick,
    runId: `bench_${randomBytes(3).toString('hex')}`,
    serviceEnv: stringMap('BENCH_SERVICE_ENV'),
    headers: stringMap('BENCH_HEADERS'),
    generator: process.env.BENCH_LOAD === 'autocannon' ? 'autocannon' : 'wrk',
    wrkThreads: Math.round(number('BENCH_WRK_THREADS', 1)),
    fixedRate: process.env.BENCH_FIXED_RATE !== '0',
  };
}
