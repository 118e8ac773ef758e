import { join } from 'node:path';
import { routingKeysFor } from '../../src/wire/vumi-topology';
import { BenchProcess, freePort } from './processes';
import { readProcMemory } from './memory';
import { DIST_DIR, RESULTS_DIR, ROOT } from './paths';

export type Mode = 'fire' | 'reply';
export type TargetKind = 'service' | 'baseline';

export interface TargetOptions {
  kind: TargetKind;
  mode: Mode;
  /** Unique per run and target, so the targets never share queues. */
  transportName: string;
  amqpUrl: string;
  prefetch: number;
  /** 'dist': the built service and transpiled baseline; 'ts': both through ts-node. */
  entry: 'dist' | 'ts';
  baselineJs: string;
  /** Settings both targets get, as the service's env names (REQUEST_TIMEOUT, ...). */
  env?: Record<string, string>;
  /** Settings only the service gets (BENCH_SERVICE_ENV). */
  serviceEnv?: Record<string, string>;
  fileLimit?: number;
  /** Path of the compiled memory probe: preloaded with --expose-gc and an IPC channel. */
  probe?: string;
  /** Write a V8 CPU profile here when the target exits. */
  profileDir?: string;
}

export interface RunningTarget {
  kind: TargetKind;
  transportName: string;
  apiUrl: string;
  proc: BenchProcess;
  /** Every queue the target declares, to purge between rounds and delete at the end. */
  queues: string[];
  /** From spawning the process to its first ready answer (the service: readiness 200, so connected to the broker). */
  readyMs: number;
  /** RSS once ready, before any traffic. */
  idleRss: number;
}

const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
export const API_QUERY = 'to_addr=%2B27831234567&from_addr=bench&content=hello%20bench';

function nodeArgs(options: TargetOptions, name: string): string[] {
  const args: string[] = [];
  if (options.profileDir) {
    args.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`);
  }
  if (options.probe) args.push('--expose-gc', '-r', options.probe);
  if (options.kind === 'service') {
    args.push(...(options.entry === 'dist' ? [join(DIST_DIR, 'main.js')] : [...TS_NODE, join(ROOT, 'src', 'main.ts')]));
  } else {
    args.push(...(options.entry === 'dist' ? [options.baselineJs] : [...TS_NODE, join(ROOT, 'bench', 'baseline.ts')]));
  }
  return args;
}

/** Starts the service or the baseline on a free port and waits until it takes requests. */
export async function startTarget(options: TargetOptions): Promise<RunningTarget> {
  const port = await freePort();
  const name = `${options.kind}-${options.mode}`;
  const env: Record<string, string> = {
    AMQP_URL: options.amqpUrl,
    TRANSPORT_NAME: options.transportName,
    AMQP_PREFETCH_COUNT: String(options.prefetch),
    ...options.env,
  };
  if (options.kind === 'service') {
    Object.assign(env, options.serviceEnv, {
      WEB_PORT: String(port),
      HOST: '127.0.0.1',
      INSTANCE_ID: `bench-${options.mode}`,
      REPLY_EXPECTED: String(options.mode === 'reply'),
    });
  } else {
    Object.assign(env, { BASELINE_PORT: String(port), BASELINE_MODE: options.mode });
  }
  const spawned = performance.now();
  const proc = BenchProcess.start({
    name,
    nodeArgs: nodeArgs(options, name),
    env,
    fileLimit: options.fileLimit,
    ipc: options.probe !== undefined,
  });
  const base = `http://127.0.0.1:${port}`;
  // The service is ready once its broker connection is (readiness probe); the baseline listens only then.
  try {
    if (options.kind === 'service') await proc.waitForHttp(`${base}/health/ready`, (status) => status === 200);
    else await proc.waitForHttp(`${base}/`, () => true);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  const readyMs = performance.now() - spawned;
  const idleRss = readProcMemory(proc.pid)?.rss ?? 0;
  const keys = routingKeysFor(options.transportName);
  return {
    kind: options.kind,
    transportName: options.transportName,
    apiUrl: `${base}/http_api?${API_QUERY}`,
    proc,
    queues: [keys.inbound, keys.event, keys.outbound, keys.status],
    readyMs,
    idleRss,
  };
}

/** The demo echo application (src/demo), replying at once, for one target's transport. */
export function startEcho(transportName: string, amqpUrl: string, entry: 'dist' | 'ts'): BenchProcess {
  const script =
    entry === 'dist' ? [join(DIST_DIR, 'demo', 'echo-application.js')] : [...TS_NODE, join(ROOT, 'src', 'demo', 'echo-application.ts')];
  return BenchProcess.start({
    name: `echo-${transportName}`,
    nodeArgs: script,
    env: { AMQP_URL: amqpUrl, TRANSPORT_NAME: transportName },
  });
}

export const PROFILE_DIR = join(RESULTS_DIR, 'profiles');
