import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { decodeJsonObject } from '../../src/vumi/vumi-application';
import { CallRecord } from '../support/load-loop';
import { AmqpConnection, connectWithRetry } from '../support/private-broker';
import { ServiceProcess } from '../support/service-process';

const ROOT = resolve(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function withBroker<T>(url: string, use: (connection: AmqpConnection) => Promise<T>): Promise<T> {
  const connection = await connectWithRetry(url, 20_000);
  connection.on('error', () => undefined);
  try {
    return await use(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Takes every message off a queue through `url` (a surviving node): the count
 * of each message_id. Passive check, so the queue's type does not matter.
 */
export async function drainQueue(url: string, queue: string): Promise<Map<string, number>> {
  return withBroker(url, async (connection) => {
    const channel = await connection.createChannel();
    await channel.prefetch(1000);
    const seen = new Map<string, number>();
    let lastArrival = Date.now();
    await channel.consume(queue, (message) => {
      if (!message) return;
      const id = decodeJsonObject(message.content).message_id as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      lastArrival = Date.now();
      channel.ack(message);
    });
    const deadline = Date.now() + 60_000;
    while ((await channel.checkQueue(queue)).messageCount > 0 || Date.now() - lastArrival < 1_500) {
      if (Date.now() >= deadline) throw new Error(`${queue} not drained within 60 s (${seen.size} read)`);
      await sleep(100);
    }
    return seen;
  });
}

export interface DeliveryCount {
  answered200: number;
  lost: string[];
  duplicates: number;
}

/** Every message_id answered 200 must be in the queue: what is missing is lost, extra copies are duplicates. */
export function countDelivery(records: CallRecord[], queued: Map<string, number>): DeliveryCount {
  const answered = records.filter((record) => record.status === 200 && record.messageId).map((r) => r.messageId!);
  let duplicates = 0;
  for (const count of queued.values()) duplicates += count - 1;
  return { answered200: answered.length, lost: answered.filter((id) => !queued.has(id)), duplicates };
}

interface BrokerDetails {
  state: string;
  node: string | null;
  connections: Record<'publish' | 'consume', { state: string; node: string | null }>;
}

/** The service's own account of its broker connections (the health path's details). */
export async function brokerHealth(service: ServiceProcess): Promise<BrokerDetails> {
  const response = await fetch(service.path(service.config.healthPath));
  const body = (await response.json()) as { details: { broker: BrokerDetails } };
  return body.details.broker;
}

/** Polls health until both connections are connected, then names the publishing node. */
export async function waitForConnected(service: ServiceProcess, timeoutMs: number): Promise<BrokerDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const broker = await brokerHealth(service).catch(() => undefined);
    if (broker?.state === 'connected') return broker;
    if (Date.now() >= deadline) throw new Error(`service not connected within ${timeoutMs} ms: ${JSON.stringify(broker)}`);
    await sleep(200);
  }
}

/** The demo echo application as a child process, on the nodes of `amqpUrl`. */
export async function startEcho(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/demo/echo-application.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`echo application did not start: ${seen}`)), 30_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('echo application consuming')) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`echo application exited (${code}): ${seen}`)));
  });
  return child;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** One line a person can read in the test output and copy into docs/guarantees.md. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`CLUSTER FIGURES ${name}: ${JSON.stringify(figures)}\n`);
}
