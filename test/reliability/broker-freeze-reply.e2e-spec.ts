import { ChildProcess } from 'node:child_process';
import { startEcho, stopChild } from '../cluster/cluster-support';
import { Answer } from '../support/http-call';
import { CallRecord, LoadLoop } from '../support/load-loop';
import { freezeAndThaw, FreezeTimeline } from '../support/broker-freeze';
import { PrivateBroker } from '../support/private-broker';
import { ServiceProcess } from '../support/service-process';

/**
 * The freeze of broker-freeze.e2e-spec.ts in reply mode: held requests whose replies cannot come
 * while the node is stopped (SIGSTOP), with the echo application on the same node. One timeline,
 * run once; each `it` judges one promise against the record: every caller is answered within
 * REQUEST_TIMEOUT (the reply, the time-out answer, or 503 once the freeze is noticed), a reply
 * goes to its own caller only, and replies flow again after SIGCONT without a restart.
 */

const REQUEST_TIMEOUT_S = 4;
/** A held request's time-out is answered by the sweep after its deadline: at most this much later. */
const CLEANUP_INTERVAL_S = 1;
/** Scheduling slack on a shared 2-core machine; a call past this is a hang. */
const MARGIN_MS = 3_000;

describe('a broker that freezes under load, in reply mode', () => {
  let broker: PrivateBroker;
  let service: ServiceProcess;
  let echo: ChildProcess | undefined;
  let records: CallRecord[] = [];
  let timeline: FreezeTimeline;
  let healthWhileFrozen: Answer;
  let exitCode: number | null = null;

  beforeAll(async () => {
    broker = await PrivateBroker.start();
    service = await ServiceProcess.start({
      AMQP_URL: broker.url,
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_S),
      REQUEST_CLEANUP_INTERVAL: String(CLEANUP_INTERVAL_S),
      PUBLISH_TIMEOUT: '2',
      AMQP_RECONNECT_INTERVAL: '0.5',
    });
    echo = await startEcho({ AMQP_URL: broker.url, TRANSPORT_NAME: service.transportName });
    const load = new LoadLoop({
      url: (n) => service.api({ to_addr: '555', from_addr: '123', content: `load ${n}` }),
      concurrency: 6,
      maxCalls: 60_000,
      hangMs: (REQUEST_TIMEOUT_S + CLEANUP_INTERVAL_S) * 1000 + MARGIN_MS,
    });
    try {
      await load.waitFor('replies before the freeze', (r) => r.status === 200, 200, 30_000);
      ({ timeline, healthWhileFrozen } = await freezeAndThaw(broker, service, load, {
        answersOnceNoticed: 100,
        afterThaw: { what: 'replies after the thaw', count: 200, timeoutMs: 60_000 },
      }));
    } finally {
      records = await load.stop();
    }
    exitCode = (await service.stop()).code;
    const statuses = records.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {});
    process.stdout.write(
      `reply-mode freeze figures: ${records.length} requests ${JSON.stringify(statuses)}; health 503 after ` +
        `${((timeline.noticed - timeline.frozen) / 1000).toFixed(1)} s; ready ${((timeline.ready - timeline.thawed) / 1000).toFixed(1)} s after SIGCONT\n`,
    );
  }, 170_000);

  afterAll(async () => {
    try {
      broker?.thaw(); // a failed run must not leave the node stopped: its own stop needs it to run
    } catch {
      // not running
    }
    await stopChild(echo);
    await service?.kill();
    await broker?.destroy();
  });

  const latency = (r: CallRecord) => r.endedAt - r.startedAt;

  it('answers every caller within REQUEST_TIMEOUT (and a sweep): its reply, the time-out answer or 503', () => {
    const other = records.filter((r) => r.status !== 200 && r.status !== 503 && r.status !== service.config.requestTimeoutStatusCode);
    expect(other.slice(0, 5)).toEqual([]);
    expect(Math.max(...records.map(latency))).toBeLessThan((REQUEST_TIMEOUT_S + CLEANUP_INTERVAL_S) * 1000 + MARGIN_MS);
  });

  it('gives each caller its own reply, never another caller’s', () => {
    const replies = records.filter((r) => r.status === 200);
    expect(replies.length).toBeGreaterThanOrEqual(400);
    expect(replies.filter((r) => r.body !== `load ${r.n}`).slice(0, 5)).toEqual([]);
  });

  it('says so on health while frozen, and refuses new requests with 503 once publishing noticed', () => {
    expect(healthWhileFrozen.status).toBe(503);
    const late = records.filter((r) => r.startedAt >= timeline.publishNoticed && r.endedAt <= timeline.thawed);
    expect(late.length).toBeGreaterThanOrEqual(100);
    expect(late.filter((r) => r.status !== 503).slice(0, 5)).toEqual([]);
  });

  it('recovers by itself after SIGCONT: replies again, the same process', () => {
    expect(records.filter((r) => r.startedAt > timeline.ready && r.status === 200).length).toBeGreaterThanOrEqual(200);
    expect(exitCode).toBe(0);
  });
});
