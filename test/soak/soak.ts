import { connect } from 'amqplib';
import { AmqpTopology } from '../../src/broker/amqp-topology';
import { TransportConfig } from '../../src/config/transport-config';
import { percentile } from '../support/load-loop';
import { startEcho, stopChild } from '../support/echo-application';
import { ServiceProcess } from '../support/service-process';
import { PacedLoad } from './paced-load';

/**
 * `npm run soak`: the service as a child process, in each mode in turn
 * (fire-and-forget, then reply mode), with the echo application
 * (src/demo/echo-application.ts) answering, under steady load for
 * SOAK_MINUTES per mode (default 3) at SOAK_RATE requests/s (default 100).
 * Every 10 s it samples the service's RSS, its V8 heap and the latencies,
 * prints a row, and at the end a verdict: is memory flat (troughs do not rise)?
 * Not part of the test run; exits 1 when a verdict fails.
 */

const MINUTES = Number(process.env.SOAK_MINUTES ?? 3);
const RATE = Number(process.env.SOAK_RATE ?? 100);
const SAMPLE_MS = 10_000;
/** Trough growth that still counts as flat (see troughs() and soak()). */
const RSS_FLAT_BYTES = 20 * 1024 * 1024;
const HEAP_FLAT_BYTES = 10 * 1024 * 1024;
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const mb = (bytes: number) => (Number.isNaN(bytes) ? '-' : (bytes / 1048576).toFixed(1));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Consumes `<t>.event` (acks in reply mode, nacks of the echo's replies otherwise) so nothing piles up. */
async function drainEvents(transportName: string): Promise<{ count: () => number; close: () => Promise<void> }> {
  const connection = await connect(AMQP_URL);
  const channel = await connection.createChannel();
  // Declared and bound as the service declares it (the exchange, the binding, the queue type), whoever comes first.
  const topology = AmqpTopology.of({ transportName, amqpQueueType: new TransportConfig().amqpQueueType });
  const keys = topology.keys;
  await topology.declareQueues(channel, [keys.event]);
  let count = 0;
  await channel.consume(keys.event, () => void count++, { noAck: true });
  return {
    count: () => count,
    close: async () => {
      for (const queue of [keys.inbound, keys.event, keys.outbound]) await channel.deleteQueue(queue).catch(() => undefined);
      await connection.close();
    },
  };
}

interface Verdict {
  mode: string;
  ok: number;
  failed: number;
  events: number;
  rssGrowth: number;
  heapGrowth: number;
  flat: boolean;
}

/** The service's V8 heap in use, from its Prometheus metrics (NaN when metrics are off). */
async function heapUsed(service: ServiceProcess): Promise<number> {
  try {
    const text = await (await fetch(service.path(service.config.metricsPath))).text();
    const line = text.split('\n').find((l) => l.startsWith('vumi_http_api_nodejs_heap_size_used_bytes'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  } catch {
    return NaN;
  }
}

/** The lowest sample of each third: memory is a saw-tooth until the next collection, a leak raises its troughs. */
function troughs(samples: number[]): [first: number, middle: number, last: number] {
  const third = Math.max(1, Math.floor(samples.length / 3));
  return [samples.slice(0, third), samples.slice(third, -third), samples.slice(-third)].map((part) => Math.min(...part)) as [
    number,
    number,
    number,
  ];
}

async function soak(mode: 'fire-and-forget' | 'reply'): Promise<Verdict> {
  const reply = mode === 'reply';
  const service = await ServiceProcess.start({ AMQP_URL, REPLY_EXPECTED: String(reply), LOG_LEVEL: 'warn' });
  const echo = await startEcho({ AMQP_URL, TRANSPORT_NAME: service.transportName });
  const events = await drainEvents(service.transportName);
  const good = (n: number, status: number, body: string) =>
    status === 200 && (reply ? body === `soak ${n}` : /^\{"message_id":"[0-9a-f]{32}"\}$/.test(body));
  const load = new PacedLoad((n) => service.api({ to_addr: '555', from_addr: '123', content: `soak ${n}` }), RATE, 64, good);
  const rss: number[] = [];
  const heap: number[] = [];
  let ok = 0;
  let failed = 0;
  process.stdout.write(`\n${mode}: ${MINUTES} min at ${RATE} req/s (transport ${service.transportName})\n`);
  process.stdout.write(' time | sent  ok    failed skipped | p50 ms  p99 ms  max ms |  RSS MB heap MB\n');
  load.start();
  const samples = Math.max(3, Math.round((MINUTES * 60_000) / SAMPLE_MS));
  for (let sample = 1; sample <= samples; sample++) {
    await sleep(SAMPLE_MS);
    const window = load.take();
    rss.push(service.rss());
    heap.push(await heapUsed(service));
    ok += window.ok;
    failed += window.failed;
    const l = window.latencies;
    process.stdout.write(
      `${String((sample * SAMPLE_MS) / 1000).padStart(4)}s | ${String(window.sent).padEnd(5)} ${String(window.ok).padEnd(5)} ` +
        `${String(window.failed).padEnd(6)} ${String(window.skipped).padEnd(7)} | ${percentile(l, 50).toFixed(1).padStart(6)} ` +
        `${percentile(l, 99).toFixed(1).padStart(7)} ${Math.max(0, ...l)
          .toFixed(1)
          .padStart(7)} | ${mb(rss[rss.length - 1]).padStart(7)} ` +
        `${mb(heap[heap.length - 1]).padStart(7)}\n`,
    );
  }
  await load.stop();
  // The JS heap after warm-up (middle third to last), where a leak in the service's code would show;
  // RSS over the whole run (V8 sizes and compacts its heap, so RSS only flags a large native leak).
  const [heapMiddle, heapLast] = troughs(heap).slice(1);
  const [rssFirst, , rssLast] = troughs(rss);
  const heapGrowth = heapLast - heapMiddle;
  const rssGrowth = rssLast - rssFirst;
  const exit = await service.stop();
  await stopChild(echo);
  const eventCount = events.count();
  await events.close();
  if (exit.code !== 0) failed++;
  const flat = rssGrowth < RSS_FLAT_BYTES && !(heapGrowth >= HEAP_FLAT_BYTES); // NaN heap: metrics off
  return { mode, ok, failed, events: eventCount, rssGrowth, heapGrowth, flat };
}

async function main(): Promise<void> {
  const verdicts = [await soak('fire-and-forget'), await soak('reply')];
  process.stdout.write('\nverdict\n');
  for (const v of verdicts) {
    process.stdout.write(
      `${v.mode.padEnd(16)} ${v.ok} answered 200, ${v.failed} failed, ${v.events} events; ` +
        `trough growth: heap ${mb(v.heapGrowth)} MB (after warm-up), RSS ${mb(v.rssGrowth)} MB (whole run): ` +
        `${v.flat ? 'flat (no leak)' : 'GROWING (possible leak)'}\n`,
    );
  }
  process.exit(verdicts.every((v) => v.flat && v.failed === 0) ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`soak failed: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
