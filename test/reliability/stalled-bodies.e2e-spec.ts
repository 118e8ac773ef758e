import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, Socket } from 'node:net';
import { resolve } from 'node:path';
import { MetricsReader } from '../support/metrics-scrape';
import { ServiceProcess } from '../support/service-process';

/**
 * Credentials before bytes (issue 21): a body is read only after the request's head passed every
 * check (auth, rate limit, the body budget), and connections are capped per address. Against the
 * service as a child process, whose RSS is read from /proc (as docs/guarantees.md states RSS):
 * 5,000 stalled bodies, without credentials and then with them, from one address, keep the RSS
 * within 50 MB of where it started, while a caller from another address is served.
 *
 * The child gets the heap the shipped pod gets. Node sizes V8's heap from the container's memory
 * limit: under k8s/base/deployment.yaml's 512Mi, `process.constrainedMemory()` is 512 MiB and the
 * heap limit 268 MB, which these two flags reproduce on a machine without that limit (measured
 * with Node 26 in a 512 MiB memory cgroup). Unconstrained, on a 24 GiB machine, V8 lets the young
 * generation grow to 32 MB per semi-space, and the garbage of the flood's 64 MB of body chunks
 * alone then shows as RSS (+46 to +68 MB on Node 26, where the pod's sizing gives +16 to +24 MB).
 */
const POD_MEMORY_LIMIT = '512Mi';
const POD_HEAP = '--max-old-space-size=256 --max-semi-space-size=4';

const AUTH = `Basic ${Buffer.from('user:secret').toString('base64')}`;
const FLOOD = 5_000;
const MB = 1024 * 1024;

/** What became of one flood connection: the status line it got, if any, and whether it was refused. */
interface Fate {
  status?: number;
  socket: Socket;
}

/** Opens `count` connections from `from`, each sending a head and all but the last byte of a 65,536-byte body, then stalling. */
async function stalledBodies(service: ServiceProcess, from: string, count: number, auth?: string): Promise<Fate[]> {
  const head =
    `POST ${service.config.webPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `${auth ? `Authorization: ${auth}\r\n` : ''}Content-Length: 65536\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), Buffer.alloc(65_535, 'a')]);
  const fates: Fate[] = [];
  const open = (): Promise<void> =>
    new Promise((done) => {
      const socket = connect({ host: '127.0.0.1', port: service.config.webPort, localAddress: from });
      const fate: Fate = { socket };
      fates.push(fate);
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => (fate.status = Number(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1])));
      socket.once('connect', () => socket.write(payload, () => done()));
      socket.once('close', () => done());
    });
  // In waves, so that the listen backlog never drops a SYN (a dropped one is retried a second later).
  for (let n = 0; n < count; n += 250) await Promise.all(Array.from({ length: Math.min(250, count - n) }, open));
  return fates;
}

/** A GET from `from`, answered with its status. */
function get(service: ServiceProcess, path: string, from: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: service.config.webPort, path, localAddress: from, headers, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode as number));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Waits until no flood connection is still waiting for its fate to show (an answer or a close). */
async function settled(fates: Fate[]): Promise<void> {
  for (let n = 0; n < 200 && fates.some((f) => f.status === undefined && !f.socket.destroyed); n++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('stalled request bodies', () => {
  let service: ServiceProcess;
  let fates: Fate[] = [];

  beforeAll(async () => {
    service = await ServiceProcess.start({
      WEB_USERNAME: 'user',
      WEB_PASSWORD: 'secret',
      HTTP_REQUEST_TIMEOUT: '60',
      NODE_OPTIONS: POD_HEAP,
    });
    // Warm: the first requests load code and grow the heap once; the flood's cost is measured past them.
    for (let n = 0; n < 50; n++) {
      await get(service, `${service.config.webPath}?to_addr=1&from_addr=2&content=x`, '127.0.0.3', { Authorization: AUTH });
    }
  });

  afterEach(() => {
    for (const fate of fates) fate.socket.destroy();
    fates = [];
  });

  afterAll(async () => {
    const exit = await service?.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('runs with the heap of the pod the deployment ships', () => {
    const deployment = readFileSync(resolve(__dirname, '..', '..', 'k8s', 'base', 'deployment.yaml'), 'utf8');
    // The heap flags above model this limit; a new limit needs new flags (and new figures).
    expect(/limits:\s*\n\s*cpu: [^\n]+\n\s*memory: (\S+)/.exec(deployment)?.[1]).toBe(POD_MEMORY_LIMIT);
  });

  it.each([
    ['without credentials', undefined, '127.0.0.2'],
    ['with the right credentials', AUTH, '127.0.0.4'],
  ])('5,000 stalled bodies %s from one address keep RSS within 50 MB, and another address is served', async (_, auth, from) => {
    const before = service.rss();
    fates = await stalledBodies(service, from, FLOOD, auth);
    await settled(fates);
    const during = service.rss();
    const live = await get(service, '/health/live', '127.0.0.3');
    const served = await get(service, `${service.config.webPath}?to_addr=1&from_addr=2&content=y`, '127.0.0.3', { Authorization: AUTH });
    const statuses = new Map<string, number>();
    for (const fate of fates) statuses.set(String(fate.status ?? 'closed'), (statuses.get(String(fate.status ?? 'closed')) ?? 0) + 1);
    process.stdout.write(
      `stalled bodies ${auth ? 'with' : 'without'} credentials: RSS ${(before / MB).toFixed(1)} -> ${(during / MB).toFixed(1)} MB; ` +
        `${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    expect(live).toBe(200);
    expect(served).toBe(200);
    expect(during - before).toBeLessThan(50 * MB);
    // No flood request got past without being refused on its head: nothing was published for one.
    expect(statuses.get('200')).toBeUndefined();
    expect(service.hasExited).toBe(false);
  });
});

/** Sends `head` (and `body`) on a raw socket and resolves with the status line's code of the first answer. */
function firstAnswer(service: ServiceProcess, head: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: service.config.webPort });
    socket.once('data', (chunk: Buffer) => {
      resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1]));
      socket.destroy();
    });
    socket.once('error', reject);
    socket.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
  });
}

describe('a body refused or cut off by the server', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await ServiceProcess.start({ WEB_USERNAME: 'user', WEB_PASSWORD: 'secret', HTTP_REQUEST_TIMEOUT: '2' });
  });

  afterAll(async () => {
    const exit = await service?.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  const head = (auth: string | undefined, length: number) =>
    `POST ${service.config.webPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
    `${auth ? `Authorization: ${auth}\r\n` : ''}Content-Length: ${length}\r\n\r\n`;

  it('answers a 70 kB POST without credentials 401 (not 413), without waiting for its body', async () => {
    // Only the head: a server that waited for the body would answer 408 at HTTP_REQUEST_TIMEOUT.
    expect(await firstAnswer(service, head(undefined, 70_000))).toBe(401);
    // The whole body: still 401, never 413.
    expect(await firstAnswer(service, head(undefined, 70_000), Buffer.alloc(70_000, 'a'))).toBe(401);
  });

  it('answers a body stalled past HTTP_REQUEST_TIMEOUT 408, and counts it as 408, not 499', async () => {
    const metrics = new MetricsReader(service.path('/metrics'));
    const before = await metrics.value('vumi_http_api_http_requests_total', { status: '499' });
    expect(await firstAnswer(service, head(AUTH, 100), Buffer.alloc(10, 'a'))).toBe(408);
    expect(await metrics.waitFor('vumi_http_api_http_requests_total', { status: '408' }, 1)).toBe(1);
    expect(await metrics.value('vumi_http_api_http_requests_total', { status: '499' })).toBe(before);
  });
});

describe('reply mode: a request that could not be held', () => {
  let service: ServiceProcess;
  const held = new AbortController();

  beforeAll(async () => {
    service = await ServiceProcess.start({ REPLY_EXPECTED: 'true', MAX_PENDING_REQUESTS: '1', HTTP_REQUEST_TIMEOUT: '2' });
  });

  afterAll(async () => {
    held.abort();
    const exit = await service?.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('is refused 503 on its head, before its body is read', async () => {
    // The one slot taken by a request nobody replies to.
    void fetch(service.api({ to_addr: '1', from_addr: '2', content: 'held' }), { signal: held.signal }).catch(() => undefined);
    const metrics = new MetricsReader(service.path('/metrics'));
    expect(await metrics.waitFor('vumi_http_api_held_requests', {}, 1)).toBe(1);
    // Only the head of a 30 kB POST (within BODY_LIMIT): a server that waited for the body would answer 408 at HTTP_REQUEST_TIMEOUT.
    const head =
      `POST ${service.config.webPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      'Content-Length: 30000\r\n\r\n';
    expect(await firstAnswer(service, head)).toBe(503);
    expect(await metrics.value('vumi_http_api_held_requests_refused_total')).toBeGreaterThanOrEqual(1);
  });
});
