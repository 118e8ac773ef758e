import { routingKeysFor } from '../../src/wire/vumi-topology';
import { Answer, call } from '../support/http-call';
import { CallRecord, LoadLoop, percentile } from '../support/load-loop';
import { freezeAndThaw, FreezeTimeline } from '../support/broker-freeze';
import { PrivateBroker } from '../support/private-broker';
import { drainQueue } from '../support/queue-drain';
import { ServiceProcess } from '../support/service-process';

/**
 * A broker that freezes under load: a private node stopped with SIGSTOP (its
 * sockets open, its port still accepting TCP, no answers), then resumed with
 * SIGCONT. The service runs with the default AMQP_HEARTBEAT. One timeline,
 * run once; each `it` judges one promise against the record.
 */

const PUBLISH_TIMEOUT_S = 2;
/** Scheduling slack on a shared 2-core machine; a call past this is a hang. */
const MARGIN_MS = 3_000;

describe('a broker that freezes under load', () => {
  let broker: PrivateBroker;
  let service: ServiceProcess;
  let records: CallRecord[] = [];
  let timeline: FreezeTimeline;
  let healthWhileFrozen: Answer;
  let liveWhileFrozen: Answer;
  let found = new Map<string, number>();
  let exitCode: number | null = null;

  beforeAll(async () => {
    broker = await PrivateBroker.start();
    service = await ServiceProcess.start({
      AMQP_URL: broker.url,
      PUBLISH_TIMEOUT: String(PUBLISH_TIMEOUT_S),
      AMQP_RECONNECT_INTERVAL: '0.5',
    });
    const load = new LoadLoop({
      url: (n) => service.api({ to_addr: '555', from_addr: '123', content: `load ${n}` }),
      concurrency: 6,
      maxCalls: 60_000,
      hangMs: PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS,
    });
    try {
      await load.waitFor('200s before the freeze', (r) => r.status === 200, 300, 30_000);
      ({ timeline, healthWhileFrozen } = await freezeAndThaw(broker, service, load, {
        whileFrozen: async () => {
          liveWhileFrozen = await call(service.path(service.config.livenessPath));
        },
        answersOnceNoticed: 200,
        afterThaw: { what: '200s after the thaw', count: 300, timeoutMs: 30_000 },
      }));
    } finally {
      records = await load.stop();
    }
    exitCode = (await service.stop()).code;
    found = await drainQueue(broker.url, routingKeysFor(service.transportName).inbound);
    report();
  }, 170_000);

  afterAll(async () => {
    try {
      broker?.thaw(); // a failed run must not leave the node stopped: its own stop needs it to run
    } catch {
      // not running
    }
    await service?.kill();
    await broker?.destroy();
  });

  const latency = (r: CallRecord) => r.endedAt - r.startedAt;
  const beforeNotice = (r: CallRecord) => r.startedAt >= timeline.frozen && r.startedAt < timeline.publishNoticed;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const noticedFrozen = (r: CallRecord) => r.startedAt >= timeline.publishNoticed && r.endedAt <= timeline.thawed;

  function report(): void {
    const ok = records.filter((r) => r.status === 200);
    const confirmed = new Set(ok.map((r) => r.messageId));
    const early = records.filter(beforeNotice);
    const late = records.filter(noticedFrozen);
    const statuses = (rs: CallRecord[]) =>
      JSON.stringify(rs.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {}));
    process.stdout.write(
      `freeze figures: ${records.length} requests, ${ok.length} answered 200, ${[...confirmed].filter((id) => found.has(id as string)).length} ` +
        `of them in .inbound, ${[...found.keys()].filter((id) => !confirmed.has(id)).length} in .inbound without a 200; ` +
        `freeze noticed after ${seconds(timeline.noticed - timeline.frozen)} s (health 503), by publishing after ` +
        `${seconds(timeline.publishNoticed - timeline.frozen)} s; before that ${early.length} requests ${statuses(early)}, ` +
        `median ${percentile(early.map(latency), 50).toFixed(0)} ms, max ${Math.max(0, ...early.map(latency)).toFixed(0)} ms; ` +
        `once noticed ${late.length} requests ${statuses(late)}, median ${percentile(late.map(latency), 50).toFixed(0)} ms, ` +
        `p99 ${percentile(late.map(latency), 99).toFixed(0)} ms; ready ${seconds(timeline.ready - timeline.thawed)} s after SIGCONT\n`,
    );
  }

  it('answers every call, with 200, 503 or 504 only, each within PUBLISH_TIMEOUT', () => {
    const other = records.filter((r) => r.status !== 200 && r.status !== 503 && r.status !== 504);
    expect(other.slice(0, 5)).toEqual([]);
    expect(Math.max(...records.map(latency))).toBeLessThan(PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS);
  });

  it('never answers 200 without its message in the queue', () => {
    const confirmed = records.filter((r) => r.status === 200).map((r) => r.messageId as string);
    expect(confirmed.length).toBeGreaterThanOrEqual(600);
    expect(confirmed.filter((id) => !found.has(id))).toEqual([]);
  });

  it('notices the freeze through the heartbeat: health 503 naming it, liveness 200', () => {
    expect(healthWhileFrozen.status).toBe(503);
    expect(healthWhileFrozen.body).toContain('Heartbeat timeout');
    expect(liveWhileFrozen.status).toBe(200);
    expect(service.output()).toContain('Heartbeat timeout');
  });

  it('once noticed, refuses at once with 503 + Retry-After', () => {
    const late = records.filter(noticedFrozen);
    expect(late.length).toBeGreaterThanOrEqual(200);
    for (const r of late) {
      expect({ status: r.status, retryAfter: r.retryAfter }).toEqual({ status: 503, retryAfter: String(service.config.retryAfter) });
    }
  });

  it('recovers by itself after SIGCONT: 200s again, the same process', () => {
    expect(records.filter((r) => r.startedAt > timeline.ready && r.status === 200).length).toBeGreaterThanOrEqual(300);
    expect(exitCode).toBe(0);
  });
});
