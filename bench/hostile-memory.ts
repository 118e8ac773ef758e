import { Agent, request } from 'node:http';
import { connect, Socket } from 'node:net';
import type { BenchOptions } from './options';
import { BenchBroker } from './support/bench-broker';
import type { CompiledBench } from './support/build';
import { readProcMemory, readTargetMemory, RssSampler } from './support/memory';
import { sleep, usableFileLimit } from './support/processes';
import { RunningTarget, startEcho, startTarget } from './support/targets';

/**
 * Hostile callers, memory part (issue 12): `npm run bench -- --only=hostile`.
 *
 * 1. Bytes per held request, for a GET and for a 60 kB POST (target: the POST
 *    within 10 kB of the GET): reply mode with no application, so every
 *    request stays held; memory after a GC before and after each batch.
 * 2. An idempotency flood: reply mode with the echo application, the service
 *    at --max-old-space-size=256 and the default IDEMPOTENCY_MAX_BYTES, 60 kB
 *    POSTs with distinct keys from several client addresses; the process must
 *    live and its RSS stay within the idle RSS plus the byte budget.
 * 3. Slots left for a second client while one floods held requests.
 * 4. Stalled bodies (issue 21): 5,000 connections from one address, each
 *    sending 65,535 of a promised 65,536 bytes without credentials and
 *    stalling; the service's RSS before and during, and liveness p99 (a new
 *    connection every 50 ms from another address), beside the password flood
 *    of hostile-auth.ts.
 */

export interface HeldCost {
  held: number;
  /** RSS growth per held request, bytes. */
  rssPerHeld: number;
  /** Heap (used) plus external memory growth per held request, bytes (after a GC). */
  heapPerHeld: number | null;
}

export interface HostileMemoryResult {
  heldGet: HeldCost;
  /** The first burst of held 60 kB POSTs: its RSS includes the allocator's high-water mark of the bodies in flight. */
  heldPost60kBurst: HeldCost;
  /** A second burst of as many: the memory the first one's bodies gave back is reused, so this is what a held POST keeps. */
  heldPost60k: HeldCost;
  /** heapPerHeld (or rssPerHeld) of the POST minus the GET's: target under 10,000. */
  postMinusGet: number;
  /** The same difference in RSS (second burst). */
  postMinusGetRss: number;
  flood: {
    requests: number;
    statuses: Record<string, number>;
    errors: number;
    survived: boolean;
    idleRss: number;
    peakRss: number;
    /** RSS every 1,000 requests: flat once the store is full. */
    rssSteps: number[];
    /** The same flood without Idempotency-Key: what the traffic itself costs (garbage in flight, V8's heap growth). */
    withoutKeys?: { peakRss: number; endRss: number; endHeap: number | null; rssSteps: number[] };
    /** After the flood and a GC. */
    endRss: number;
    idleHeap: number | null;
    endHeap: number | null;
    budgetBytes: number;
    /** Bytes the store counted at the end (vumi_http_api_idempotency_store_bytes). */
    storeBytes: number | null;
    /** RSS after the flood (and a GC) within the idle RSS plus the budget (the test; see docs/performance.md). */
    withinBudget: boolean;
    /** Heap and external memory kept after the flood (and a GC) within the budget plus 10 %: what the store holds is bounded by it. */
    heapWithinBudget: boolean;
    maxOldSpaceMb: number;
  };
  stalledBodies: {
    connections: number;
    /** What the flood's connections got: a status, or `closed` (refused at connect by MAX_CONNECTIONS_PER_ADDRESS). */
    fates: Record<string, number>;
    rssBefore: number;
    rssDuring: number;
    liveness: { count: number; p99: number; max: number; failures: number };
  };
  fairShare: {
    maxPending: number;
    perClient: number;
    flooderSent: number;
    flooderHeld: number;
    flooderRefused: number;
    secondSent: number;
    secondHeld: number;
  };
}

const POST_CONTENT = 'p'.repeat(60_000);
const FIELDS = 'to_addr=%2B27831234567&from_addr=bench';

interface Sent {
  status: Promise<number | null>;
}

/** One request on its own socket; resolves its status (null on a socket error). */
function send(agent: Agent, url: URL, method: 'GET' | 'POST', headers: Record<string, string>, body?: Buffer): Sent {
  const status = new Promise<number | null>((resolve) => {
    const req = request(url, { method, agent, headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => text.length < 300 && (text += chunk.toString()));
      res.on('end', () => {
        if (res.statusCode === 503 && !firstRefusal) firstRefusal = text;
        resolve(res.statusCode ?? null);
      });
      res.on('error', () => resolve(null));
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
  return { status };
}

async function heldCount(target: RunningTarget): Promise<number> {
  const response = await fetch(new URL('/health', target.apiUrl)).catch(() => undefined);
  if (!response) return -1;
  return ((await response.json()) as { pending_requests?: number }).pending_requests ?? -1;
}

/** Statuses of held-cost requests answered early (none should be: they are all held). */
const early: Record<string, number> = {};
let firstRefusal = '';
function track(sent: Sent): void {
  void sent.status.then((status) => (early[String(status)] = (early[String(status)] ?? 0) + 1));
}

async function waitForHeld(target: RunningTarget, count: number, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await heldCount(target)) < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `only ${await heldCount(target)} of ${count} requests held after ${ms} ms; answered early: ${JSON.stringify(early)} ${firstRefusal}`,
      );
    }
    await sleep(200);
  }
}

/**
 * Held is counted before the publish (a request is held first, so that an instant reply finds it): the
 * message is confirmed once it is in the queue. Until then its encoded copy is rightly still in memory.
 */
async function waitForConfirmed(ctx: Ctx, target: RunningTarget, count: number, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (((await ctx.broker.depth(target.queues[0])) ?? 0) < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${await ctx.broker.depth(target.queues[0])} of ${count} messages confirmed after ${ms} ms`);
    await sleep(200);
  }
}

async function storeBytes(target: RunningTarget): Promise<number | null> {
  const text = await fetch(new URL('/metrics', target.apiUrl))
    .then((r) => r.text())
    .catch(() => '');
  const match = /^vumi_http_api_idempotency_store_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return match ? Number(match[1]) : null;
}

function url(target: RunningTarget, query = FIELDS): URL {
  const base = new URL(target.apiUrl);
  return new URL(`${base.origin}${base.pathname}?${query}`);
}

/**
 * Memory after a GC, read twice a second apart: V8 frees the backing stores of collected Buffers on a
 * background thread, so the first reading after a burst can still count bodies already let go.
 */
async function settledMemory(target: RunningTarget) {
  await readTargetMemory(target.proc);
  await sleep(1000);
  return readTargetMemory(target.proc);
}

interface Ctx {
  options: BenchOptions;
  compiled: CompiledBench;
  broker: BenchBroker;
  log: (line: string) => void;
}

async function start(ctx: Ctx, name: string, env: Record<string, string>, fileLimit?: number): Promise<RunningTarget> {
  return startTarget({
    kind: 'service',
    mode: 'reply',
    transportName: `${ctx.options.runId}_service_${name}`,
    amqpUrl: ctx.options.amqpUrl,
    prefetch: ctx.options.prefetch,
    entry: ctx.options.entry,
    baselineJs: ctx.compiled.baseline,
    probe: ctx.compiled.probe,
    fileLimit,
    env: { LOG_LEVEL: 'error', ...env },
    serviceEnv: ctx.options.serviceEnv,
  });
}

async function stop(ctx: Ctx, target: RunningTarget): Promise<void> {
  await target.proc.stop();
  await ctx.broker.deleteQueues(target.queues);
}

/** Part 1: memory per held GET and per held 60 kB POST. */
async function heldCosts(ctx: Ctx): Promise<{ get: HeldCost; burst: HeldCost; post: HeldCost }> {
  const count = ctx.options.quick ? 1000 : 1500;
  const fileLimit = usableFileLimit(6 * count + 1000);
  const perBatch = Math.min(count, Math.floor((fileLimit - 1000) / 6));
  const target = await start(
    ctx,
    'hostile_held',
    {
      REQUEST_TIMEOUT: '600',
      MAX_PENDING_REQUESTS: '100000',
      MAX_PENDING_PER_CLIENT: '100000',
      // This part measures what a held request costs, from one address: the per-address
      // defences (issue 21; part 4 measures them) would refuse most of the connections.
      MAX_CONNECTIONS_PER_ADDRESS: '100000',
      BODY_BUDGET_PER_ADDRESS: '1073741824',
      BODY_BUDGET: '1073741824',
    },
    fileLimit,
  );
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    // Warm-up: the first requests allocate what every later one reuses (route caches, JIT).
    const warm = [];
    for (let i = 0; i < 50; i++) warm.push(send(agent, url(target, `${FIELDS}&content=warm`), 'GET', {}));
    await waitForHeld(target, 50);
    await waitForConfirmed(ctx, target, 50);
    const m0 = await settledMemory(target);
    for (let i = 0; i < perBatch; i++) track(send(agent, url(target, `${FIELDS}&content=hello`), 'GET', {}));
    await waitForHeld(target, 50 + perBatch);
    await waitForConfirmed(ctx, target, 50 + perBatch);
    const m1 = await settledMemory(target);
    const body = Buffer.from(JSON.stringify({ content: POST_CONTENT }));
    for (let i = 0; i < perBatch; i++) track(send(agent, url(target), 'POST', { 'Content-Type': 'application/json' }, body));
    await waitForHeld(target, 50 + 2 * perBatch);
    await waitForConfirmed(ctx, target, 50 + 2 * perBatch);
    const m2 = await settledMemory(target);
    for (let i = 0; i < perBatch; i++) track(send(agent, url(target), 'POST', { 'Content-Type': 'application/json' }, body));
    await waitForHeld(target, 50 + 3 * perBatch);
    await waitForConfirmed(ctx, target, 50 + 3 * perBatch);
    const m3 = await settledMemory(target);
    const cost = (a: typeof m0, b: typeof m0): HeldCost => ({
      held: perBatch,
      rssPerHeld: (b.rss - a.rss) / perBatch,
      heapPerHeld:
        a.heapUsed !== null && b.heapUsed !== null ? (b.heapUsed + (b.external ?? 0) - a.heapUsed - (a.external ?? 0)) / perBatch : null,
    });
    return { get: cost(m0, m1), burst: cost(m1, m2), post: cost(m2, m3) };
  } finally {
    agent.destroy();
    await stop(ctx, target);
  }
}

/** Part 2: distinct keys, 60 kB replies, several clients, a 256 MB heap. */
async function idempotencyFlood(ctx: Ctx, withKeys = true): Promise<HostileMemoryResult['flood']> {
  const requests = ctx.options.quick ? 3000 : 6000;
  const maxOldSpaceMb = 256;
  const budgetBytes = 64 * 1024 * 1024; // the default IDEMPOTENCY_MAX_BYTES
  const target = await start(ctx, withKeys ? 'hostile_flood' : 'hostile_flood_nokeys', {
    NODE_OPTIONS: `--max-old-space-size=${maxOldSpaceMb}`,
    TRUST_PROXY: '127.0.0.1',
    REQUEST_TIMEOUT: '30',
  });
  const echo = startEcho(target.transportName, ctx.options.amqpUrl, ctx.options.entry);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const statuses: Record<string, number> = {};
  let errors = 0;
  try {
    // Warm up with a few keyed requests (so the store and the Redis-less path are in use), then measure idle.
    const body = Buffer.from(JSON.stringify({ content: POST_CONTENT }));
    const headers = (i: number) => ({
      'Content-Type': 'application/json',
      ...(withKeys && { 'Idempotency-Key': `"flood-${ctx.options.runId}-${i}"` }),
      'X-Forwarded-For': `10.66.0.${i % 8}`, // eight clients: together they can fill the whole budget
    });
    for (let i = 0; i < 20; i++) await send(agent, url(target), 'POST', headers(-1 - i), body).status;
    const idle = await readTargetMemory(target.proc);
    const sampler = new RssSampler(target.proc.pid, 100).start();
    const rssSteps: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < requests && target.proc.alive) {
        const n = next++;
        if (n % 1000 === 0) rssSteps.push(readProcMemory(target.proc.pid)?.rss ?? 0);
        const status = await send(agent, url(target), 'POST', headers(n), body).status;
        if (status === null) errors++;
        else statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const peakRss = sampler.stop();
    const survived = target.proc.alive;
    const counted = survived ? await storeBytes(target) : null;
    const end = survived ? await settledMemory(target) : undefined;
    return {
      rssSteps,
      endRss: end?.rss ?? 0,
      idleHeap: idle.heapUsed,
      endHeap: end?.heapUsed ?? null,
      requests,
      statuses,
      errors,
      survived,
      idleRss: idle.rss,
      peakRss,
      budgetBytes,
      storeBytes: counted,
      // What the flood leaves behind (after a GC) must fit the budget; the peak adds the garbage in flight.
      withinBudget: survived && end !== undefined && end.rss <= idle.rss + budgetBytes,
      heapWithinBudget:
        survived &&
        end?.heapUsed != null &&
        idle.heapUsed !== null &&
        end.heapUsed + (end.external ?? 0) - idle.heapUsed - (idle.external ?? 0) <= budgetBytes * 1.1,
      maxOldSpaceMb,
    };
  } finally {
    agent.destroy();
    await echo.stop();
    await stop(ctx, target);
  }
}

/** Part 3: one client opens as many held requests as the instance has; a second client then asks for some. */
async function fairShare(ctx: Ctx): Promise<HostileMemoryResult['fairShare']> {
  const maxPending = 1000;
  const perClient = Math.ceil(maxPending / 4); // the default MAX_PENDING_PER_CLIENT
  const fileLimit = usableFileLimit(4000);
  const target = await start(
    ctx,
    'hostile_fair',
    {
      TRUST_PROXY: '127.0.0.1',
      REQUEST_TIMEOUT: '120',
      MAX_PENDING_REQUESTS: String(maxPending),
    },
    fileLimit,
  );
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    const flooder = Array.from({ length: maxPending }, (_, i) =>
      send(agent, url(target, `${FIELDS}&content=flood${i}`), 'GET', { 'X-Forwarded-For': '10.77.0.1' }),
    );
    // The refused ones answer at once; the held ones wait (the time-out is long).
    const refusedStatuses = await Promise.all(flooder.map((s) => Promise.race([s.status, sleep(5000).then(() => 'held' as const)])));
    const flooderRefused = refusedStatuses.filter((s) => s === 503).length;
    const flooderHeld = await heldCount(target);
    const secondSent = 100;
    const second = Array.from({ length: secondSent }, (_, i) =>
      send(agent, url(target, `${FIELDS}&content=second${i}`), 'GET', { 'X-Forwarded-For': '10.77.0.2' }),
    );
    const secondStatuses = await Promise.all(second.map((s) => Promise.race([s.status, sleep(3000).then(() => 'held' as const)])));
    const secondHeld = secondStatuses.filter((s) => s === 'held').length;
    return { maxPending, perClient, flooderSent: maxPending, flooderHeld, flooderRefused, secondSent, secondHeld };
  } finally {
    agent.destroy();
    await stop(ctx, target);
  }
}

/** Part 4: 5,000 stalled bodies without credentials from 127.0.0.2; RSS and liveness (from 127.0.0.3) meanwhile. */
async function stalledBodies(ctx: Ctx): Promise<HostileMemoryResult['stalledBodies']> {
  const connections = 5000;
  const target = await start(
    ctx,
    'hostile_stalled',
    { WEB_USERNAME: 'bench', WEB_PASSWORD: 'bench-secret', HTTP_REQUEST_TIMEOUT: '60' },
    usableFileLimit(2 * connections + 1000),
  );
  const api = new URL(target.apiUrl);
  const head =
    `POST ${api.pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` + 'Content-Length: 65536\r\n\r\n';
  const payload = Buffer.concat([Buffer.from(head), Buffer.alloc(65_535, 'a')]);
  const sockets: Socket[] = [];
  const fates: Record<string, number> = {};
  const open = () =>
    new Promise<void>((done) => {
      const socket = connect({ host: api.hostname, port: Number(api.port), localAddress: '127.0.0.2' });
      sockets.push(socket);
      let fate = 'closed';
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => (fate = /^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1] ?? 'other'));
      socket.once('connect', () => socket.write(payload, () => done()));
      socket.once('close', () => done());
      setTimeout(() => (fates[fate] = (fates[fate] ?? 0) + 1), 5000);
    });
  try {
    await sleep(500);
    const rssBefore = readProcMemory(target.proc.pid)?.rss ?? 0;
    for (let n = 0; n < connections; n += 250) await Promise.all(Array.from({ length: 250 }, open));
    const probes: number[] = [];
    let failures = 0;
    for (let n = 0; n < 100; n++) {
      const started = performance.now();
      const status = await new Promise<number>((resolve) => {
        const req = request(
          { host: api.hostname, port: api.port, path: '/health/live', localAddress: '127.0.0.3', agent: false },
          (res) => {
            res.resume();
            res.once('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.once('error', () => resolve(0));
        req.end();
      });
      if (status === 200) probes.push(performance.now() - started);
      else failures++;
      await sleep(50);
    }
    const rssDuring = readProcMemory(target.proc.pid)?.rss ?? 0;
    probes.sort((a, b) => a - b);
    const at = (q: number) => probes[Math.min(probes.length - 1, Math.floor(q * probes.length))] ?? 0;
    return { connections, fates, rssBefore, rssDuring, liveness: { count: probes.length, p99: at(0.99), max: at(1), failures } };
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop(ctx, target);
  }
}

const kb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} kB`);
const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MB`);

export async function runHostileMemory(
  options: BenchOptions,
  compiled: CompiledBench,
  broker: BenchBroker,
  log: (line: string) => void,
): Promise<HostileMemoryResult> {
  const ctx: Ctx = { options, compiled, broker, log };
  log('hostile callers (memory): bytes per held GET and 60 kB POST');
  const { get, burst, post } = await heldCosts(ctx);
  log(
    `  held GET ${kb(get.heapPerHeld)} heap+external, ${kb(get.rssPerHeld)} RSS; held 60 kB POST ${kb(post.heapPerHeld)}, ` +
      `${kb(post.rssPerHeld)} RSS (first burst ${kb(burst.heapPerHeld)}, ${kb(burst.rssPerHeld)} RSS; ${get.held} each)`,
  );
  log('hostile callers (memory): idempotency flood, 60 kB replies, --max-old-space-size=256');
  const flood = await idempotencyFlood(ctx);
  const plain = await idempotencyFlood(ctx, false);
  flood.withoutKeys = { peakRss: plain.peakRss, endRss: plain.endRss, endHeap: plain.endHeap, rssSteps: plain.rssSteps };
  log(
    `  ${flood.requests} requests: ${JSON.stringify(flood.statuses)}, ${flood.errors} errors; ${flood.survived ? 'alive' : 'DIED'}; ` +
      `RSS idle ${mb(flood.idleRss)}, peak ${mb(flood.peakRss)}, after ${mb(flood.endRss)} (budget ${mb(flood.budgetBytes)}); ` +
      `heap idle ${mb(flood.idleHeap)}, after ${mb(flood.endHeap)} (kept within the budget: ${flood.heapWithinBudget ? 'yes' : 'NO'}; ` +
      `RSS within idle + budget: ${flood.withinBudget ? 'yes' : 'no'}); store counted ${mb(flood.storeBytes)}; ` +
      `RSS per 1,000: ${flood.rssSteps.map(mb).join(', ')}`,
  );
  log(
    `  the same flood without keys: RSS peak ${mb(plain.peakRss)}, after ${mb(plain.endRss)}, heap after ${mb(plain.endHeap)}; ` +
      `RSS per 1,000: ${plain.rssSteps.map(mb).join(', ')}`,
  );
  log('hostile callers (memory): slots left for a second client while one floods');
  const share = await fairShare(ctx);
  log(
    `  flooder: ${share.flooderHeld} held, ${share.flooderRefused} refused of ${share.flooderSent}; ` +
      `second client: ${share.secondHeld} of ${share.secondSent} held (MAX_PENDING_REQUESTS ${share.maxPending})`,
  );
  log('hostile callers (memory): 5,000 stalled bodies without credentials from one address');
  const stalled = await stalledBodies(ctx);
  log(
    `  RSS ${mb(stalled.rssBefore)} -> ${mb(stalled.rssDuring)}; ${JSON.stringify(stalled.fates)}; ` +
      `liveness p99 ${stalled.liveness.p99.toFixed(1)} ms, max ${stalled.liveness.max.toFixed(1)} ms, ${stalled.liveness.failures} failed`,
  );
  const postMinusGet = (post.heapPerHeld ?? post.rssPerHeld) - (get.heapPerHeld ?? get.rssPerHeld);
  const postMinusGetRss = post.rssPerHeld - get.rssPerHeld;
  return {
    heldGet: get,
    heldPost60kBurst: burst,
    heldPost60k: post,
    postMinusGet,
    postMinusGetRss,
    flood,
    fairShare: share,
    stalledBodies: stalled,
  };
}
