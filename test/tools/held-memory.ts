/**
 * Memory held per pending request: runs the service in reply mode in a child
 * process (no application replies, a long request_timeout), holds N requests
 * from this process, and reads the child's RSS and heap (after a GC) at 0 and
 * at N held. Raise the descriptor limit first (each held request is a socket
 * on both sides):
 *
 *   ulimit -n 65536
 *   AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ \
 *     node -r ts-node/register/transpile-only test/tools/held-memory.ts [N=10000]
 */
import { fork, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, ClientRequest, request } from 'node:http';
import { connect } from 'amqplib';
import { routingKeysFor } from '../../src/vumi/vumi-topology';

interface Reading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  held: number;
}

type ChildMessage = { port: number } | { reading: Reading };

async function childMain(): Promise<void> {
  const { loadConfig } = await import('../../src/config/config-loader');
  const { startService } = await import('../../src/bootstrap');
  const { PendingRequestsService } = await import('../../src/pending-requests/pending-requests.service');
  const service = await startService(loadConfig(process.env), false);
  process.on('disconnect', () => process.exit(1)); // the measuring parent went away
  const pending = service.app.get(PendingRequestsService);
  process.on('message', async (command: string) => {
    if (command === 'read') {
      for (let i = 0; i < 3; i++) {
        (global as unknown as { gc(): void }).gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      process.send?.({ reading: { rss, heapUsed, external, arrayBuffers, held: pending.size } });
    } else if (command === 'stop') {
      await service.shutdown();
      process.exit(0);
    }
  });
  process.send?.({ port: service.port });
}

function ask(child: ChildProcess, command: string): Promise<ChildMessage> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as ChildMessage));
    child.send(command);
  });
}

async function read(child: ChildProcess): Promise<Reading> {
  return ((await ask(child, 'read')) as { reading: Reading }).reading;
}

/** Waits until the service holds `n` requests (60 s at most). */
async function waitHeld(child: ChildProcess, n: number, outcomes: Record<string, number>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { held } = await read(child);
    if (held >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${held} of ${n} held after 60 s: ${JSON.stringify(outcomes)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens `n` held requests in batches (so the accept queue never overflows); resolves once all are held. */
async function holdRequests(child: ChildProcess, port: number, n: number, agent: Agent) {
  const requests: ClientRequest[] = [];
  const outcomes: Record<string, number> = {};
  const count = (what: string) => (outcomes[what] = (outcomes[what] ?? 0) + 1);
  const base = (await read(child)).held;
  for (let i = 0; i < n; i++) {
    const path = `/http_api?to_addr=555${i}&from_addr=123&content=hello+world`;
    const req = request({ host: '127.0.0.1', port, path, agent });
    req.on('response', (res) => count(`status ${res.statusCode}`));
    req.on('error', (error: NodeJS.ErrnoException) => !letGo.has(req) && count(error.code ?? error.message));
    req.end();
    requests.push(req);
    if (i % BATCH === BATCH - 1) await waitHeld(child, base + i + 1, outcomes);
  }
  await waitHeld(child, base + n, outcomes);
  return requests;
}

const BATCH = 250;
const letGo = new WeakSet<ClientRequest>();

function release(requests: ClientRequest[]): void {
  for (const req of requests) {
    letGo.add(req);
    req.destroy();
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
  const transportName = `heldmem_${randomBytes(4).toString('hex')}`;
  const child = fork(__filename, ['--child'], {
    execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only'],
    env: {
      ...process.env,
      AMQP_URL: amqpUrl,
      TRANSPORT_NAME: transportName,
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '3600',
      WEB_PORT: '0',
      HOST: '127.0.0.1',
      MAX_PENDING_REQUESTS: String(n * 2),
      MAX_PENDING_PER_CLIENT: String(n * 2), // one client holds them all
    },
  });
  const { port } = (await new Promise((resolve) => child.once('message', resolve))) as { port: number };
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

  // Warm up the code paths (JIT, pools) with a batch that is then let go by disconnecting.
  release(await holdRequests(child, port, 500, agent));
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const before = await read(child);
  const requests = await holdRequests(child, port, n, agent);
  const during = await read(child);
  release(requests);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await read(child);

  const per = (field: keyof Reading) => Math.round((during[field] - before[field]) / n);
  const report = {
    held: during.held,
    before: { rss: mib(before.rss), heapUsed: mib(before.heapUsed) },
    during: { rss: mib(during.rss), heapUsed: mib(during.heapUsed) },
    afterDisconnect: { rss: mib(after.rss), heapUsed: mib(after.heapUsed), held: after.held },
    perHeldRequestBytes: {
      rss: per('rss'),
      heapUsed: per('heapUsed'),
      external: per('external'),
      arrayBuffers: per('arrayBuffers'),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);

  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await exited;
  const connection = await connect(amqpUrl);
  const channel = await connection.createChannel();
  const keys = routingKeysFor(transportName);
  for (const queue of [keys.inbound, keys.event, keys.outbound]) await channel.deleteQueue(queue).catch(() => undefined);
  await connection.close();
}

if (process.argv.includes('--child')) {
  void childMain();
} else {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
