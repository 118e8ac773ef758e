import { hashSync } from '@node-rs/bcrypt';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import type { BenchOptions } from './options';
import { freePort, sleep } from './support/processes';
import type { Table } from './support/report';
import { startTarget } from './support/targets';
import type { CompiledBench } from './support/build';
import type { BenchBroker } from './support/bench-broker';
import { routingKeysFor } from '../src/wire/vumi-topology';

/**
 * `npm run bench -- --only=hostile`, the password-flood half: the attack of
 * issue 12 replayed against the service (BENCH_HOSTILE_CONNECTIONS
 * connections, 30 by default, sending random passwords for a bcrypt caller,
 * cost 10) in three shapes: from one address (the shipped settings), from
 * many addresses (TRUST_PROXY and a new X-Forwarded-For per request, so only
 * the per-name bucket and the check bound hold), and with both failure
 * buckets off (only AUTH_MAX_VERIFICATIONS holds). Meanwhile a probe opens a
 * new connection to the liveness path every 50 ms, as Kubernetes does, and
 * the real caller sends its right password every 250 ms. Figures: the
 * probe's p50/p99/max during the flood (target: p99 under 100 ms), the
 * share of the flood answered 429 before any hashing, the hashes computed
 * (from the service's own counter), and how the real caller fared.
 */

export interface HostileAuthScenario {
  name: string;
  seconds: number;
  floodRequests: number;
  floodPerSecond: number;
  /** Share of the flood answered 429 (throttled or busy): none of them hashed. */
  share429: number;
  share401: number;
  throttled: number;
  busy: number;
  hashes: number;
  hashesPerSecond: number;
  idleLivenessP99: number;
  liveness: { count: number; p50: number; p99: number; max: number; failures: number };
  realCaller: { attempts: number; ok: number };
}

export interface HostileAuthResult {
  connections: number;
  bcryptCost: number;
  scenarios: HostileAuthScenario[];
}

const BCRYPT_COST = 10;
const WARMUP_SECONDS = 2;
const QUERY = 'to_addr=%2B27831234567&from_addr=bench&content=hostile';

interface Shot {
  status: number;
  ms: number;
}

function get(url: string, headers: Record<string, string>, agent: Agent | false = false): Promise<Shot> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { headers, agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end();
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function metric(url: string, name: string, labels = ''): Promise<number> {
  const response = await fetch(url);
  const text = await response.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const [series, value] = line.split(/\s+/);
    if (series.startsWith(`${name}{`) && series.includes(labels)) sum += Number(value);
  }
  return sum;
}

interface ScenarioSpec {
  name: string;
  env: Record<string, string>;
  forwardedFor: boolean;
}

async function runScenario(
  spec: ScenarioSpec,
  options: BenchOptions,
  compiled: CompiledBench,
  connections: number,
  seconds: number,
  log: (line: string) => void,
): Promise<HostileAuthScenario> {
  const password = 'the real password';
  const managementPort = await freePort();
  const target = await startTarget({
    kind: 'service',
    mode: 'fire',
    transportName: `${options.runId}_service_hostile`,
    amqpUrl: options.amqpUrl,
    prefetch: options.prefetch,
    entry: options.entry,
    baselineJs: compiled.baseline,
    serviceEnv: {
      ...options.serviceEnv,
      CALLERS: JSON.stringify([{ username: 'shop', password_hash: hashSync(password, BCRYPT_COST) }]),
      MANAGEMENT_PORT: String(managementPort),
      LOG_LEVEL: 'warn',
      ...spec.env,
    },
  });
  const base = new URL(target.apiUrl).origin;
  const api = `${base}/http_api?${QUERY}`;
  const metricsUrl = `http://127.0.0.1:${managementPort}/metrics`;
  const live = `${base}/health/live`;
  try {
    // The real caller has been in before (its password is verified), as a caller in production has.
    const first = await get(api, { Authorization: basic('shop', password), 'X-Forwarded-For': '203.0.113.9' }, false);
    if (first.status !== 200) throw new Error(`the real caller got ${first.status} before the flood`);
    const idle: number[] = [];
    await sleep(1000); // boot settled
    for (let i = 0; i < 20; i++) idle.push((await get(live, {}, false)).ms);

    const guesses = (duration: number) =>
      autocannon({
        url: api,
        connections,
        duration,
        timeout: 30,
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              const headers: Record<string, string> = { Authorization: basic('shop', randomBytes(8).toString('hex')) };
              if (spec.forwardedFor) headers['X-Forwarded-For'] = `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
              return { ...req, headers };
            },
          },
        ],
      });
    // Warm-up: the JIT and the buckets' state as in a flood that has been going on for a while.
    await guesses(WARMUP_SECONDS);
    const hashesBefore = await metric(metricsUrl, 'vumi_http_api_password_hashes_total');
    const throttledBefore = await metric(metricsUrl, 'vumi_http_api_auth_failures_total', 'reason="throttled"');
    const busyBefore = await metric(metricsUrl, 'vumi_http_api_auth_failures_total', 'reason="busy"');
    const deadline = Date.now() + seconds * 1000;
    const attack = guesses(seconds);
    const probes: Shot[] = [];
    const prober = (async () => {
      while (Date.now() < deadline) {
        probes.push(await get(live, {}, false));
        await sleep(50);
      }
    })();
    const real: Shot[] = [];
    const caller = (async () => {
      while (Date.now() < deadline) {
        real.push(await get(api, { Authorization: basic('shop', password), 'X-Forwarded-For': '203.0.113.9' }, false));
        await sleep(250);
      }
    })();
    const [flood] = await Promise.all([attack, prober, caller]);

    const hashes = (await metric(metricsUrl, 'vumi_http_api_password_hashes_total')) - hashesBefore;
    const throttled = (await metric(metricsUrl, 'vumi_http_api_auth_failures_total', 'reason="throttled"')) - throttledBefore;
    const busy = (await metric(metricsUrl, 'vumi_http_api_auth_failures_total', 'reason="busy"')) - busyBefore;
    const sortedProbes = probes.map((p) => p.ms).sort((a, b) => a - b);
    const codes = flood.statusCodeStats as unknown as Record<string, { count: number } | undefined>;
    const count = (status: number) => codes[String(status)]?.count ?? 0;
    const total = Object.values(codes).reduce((sum, c) => sum + (c?.count ?? 0), 0);
    const result: HostileAuthScenario = {
      name: spec.name,
      seconds,
      floodRequests: total,
      floodPerSecond: total / seconds,
      share429: count(429) / total,
      share401: count(401) / total,
      throttled,
      busy,
      hashes,
      hashesPerSecond: hashes / seconds,
      idleLivenessP99: quantile(
        idle.sort((a, b) => a - b),
        0.99,
      ),
      liveness: {
        count: probes.length,
        p50: quantile(sortedProbes, 0.5),
        p99: quantile(sortedProbes, 0.99),
        max: sortedProbes[sortedProbes.length - 1] ?? NaN,
        failures: probes.filter((p) => p.status !== 200).length,
      },
      realCaller: { attempts: real.length, ok: real.filter((s) => s.status === 200).length },
    };
    log(
      `hostile auth, ${spec.name}: ${result.floodPerSecond.toFixed(0)} guesses/s, ${(result.share429 * 100).toFixed(1)}% 429 unhashed, ` +
        `${hashes} hashes; liveness p99 ${result.liveness.p99.toFixed(1)} ms (idle ${result.idleLivenessP99.toFixed(1)}); ` +
        `real caller ${result.realCaller.ok}/${result.realCaller.attempts}`,
    );
    return result;
  } finally {
    await target.proc.stop();
  }
}

export async function runHostileAuth(
  options: BenchOptions,
  compiled: CompiledBench,
  broker: BenchBroker,
  log: (line: string) => void,
): Promise<HostileAuthResult> {
  const connections = Number(process.env.BENCH_HOSTILE_CONNECTIONS ?? 30);
  const seconds = Number(process.env.BENCH_HOSTILE_SECONDS ?? (options.quick ? 5 : 10));
  const scenarios: ScenarioSpec[] = [
    { name: 'one address (shipped settings)', env: {}, forwardedFor: false },
    { name: 'many addresses (TRUST_PROXY, new X-Forwarded-For each)', env: { TRUST_PROXY: '127.0.0.1' }, forwardedFor: true },
    {
      name: 'failure buckets off (AUTH_MAX_VERIFICATIONS only)',
      env: { AUTH_FAILURE_RATE: '0', AUTH_NAME_FAILURE_RATE: '0' },
      forwardedFor: false,
    },
  ];
  const results: HostileAuthScenario[] = [];
  for (const spec of scenarios) {
    results.push(await runScenario(spec, options, compiled, connections, seconds, log));
    const keys = routingKeysFor(`${options.runId}_service_hostile`);
    await broker.deleteQueues([keys.inbound, keys.event, keys.outbound, keys.status]).catch(() => undefined);
  }
  return { connections, bcryptCost: BCRYPT_COST, scenarios: results };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

export function hostileAuthTable(result: HostileAuthResult): Table {
  return {
    title:
      `Password flood: ${result.connections} connections of random passwords for one bcrypt caller (cost ${result.bcryptCost}); ` +
      'liveness on a new connection every 50 ms (target p99 < 100 ms); the real caller every 250 ms',
    labels: 1,
    header: [
      'flood',
      'guesses/s',
      '429 (unhashed)',
      '401',
      'hashes',
      'hashes/s',
      'live p50 ms',
      'live p99 ms',
      'live max ms',
      'idle p99 ms',
      'real caller ok',
    ],
    rows: result.scenarios.map((s) => [
      s.name,
      s.floodPerSecond.toFixed(0),
      pct(s.share429),
      pct(s.share401),
      String(s.hashes),
      s.hashesPerSecond.toFixed(1),
      ms(s.liveness.p50),
      ms(s.liveness.p99),
      ms(s.liveness.max),
      ms(s.idleLivenessP99),
      `${s.realCaller.ok}/${s.realCaller.attempts}`,
    ]),
  };
}
