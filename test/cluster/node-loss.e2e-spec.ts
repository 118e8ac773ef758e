import { ChildProcess } from 'node:child_process';
import { routingKeysFor } from '../../src/wire/vumi-topology';
import { CallRecord, LoadLoop } from '../support/load-loop';
import { PrivateCluster } from '../support/private-cluster';
import { ServiceProcess } from '../support/service-process';
import { brokerHealth, countDelivery, drainQueue, report, sleep, startEcho, stopChild, waitForConnected } from './cluster-support';

/**
 * A real three-node RabbitMQ cluster of this file's own (never the shared
 * broker), quorum queues, the service given every node in AMQP_URL, and nodes
 * lost under load: `kill -9` of the node the service uses (fire-and-forget,
 * then reply mode with the application on another node), then a rolling
 * restart of all three. One cluster for the three scenarios, which run in order.
 */

const PUBLISH_TIMEOUT_S = 3;
/** Scheduling slack on a shared 2-core machine; a call past PUBLISH_TIMEOUT plus this is a hang. */
const MARGIN_MS = 3_000;
const COMPLETE = { to_addr: '555', from_addr: '123' };

let cluster: PrivateCluster;

beforeAll(async () => {
  cluster = await PrivateCluster.start(3);
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
}, 120_000);

function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AMQP_URL: cluster.urls.join(','),
    AMQP_QUEUE_TYPE: 'quorum',
    PUBLISH_TIMEOUT: String(PUBLISH_TIMEOUT_S),
    AMQP_RECONNECT_INTERVAL: '0.2',
    AMQP_HEARTBEAT: '5',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

function judge503s(records: CallRecord[]): { count: number; withoutRetryAfter: number; slowest: number } {
  const refused = records.filter((record) => record.status === 503);
  return {
    count: refused.length,
    withoutRetryAfter: refused.filter((record) => record.retryAfter === null).length,
    slowest: Math.round(Math.max(0, ...refused.map((record) => record.endedAt - record.startedAt))),
  };
}

describe('fire-and-forget: kill -9 of the node the service is connected to', () => {
  let service: ServiceProcess;
  let load: LoadLoop;
  let records: CallRecord[] = [];
  let killedAt = 0;
  let nodeBefore: number;
  let nodeAfter: number;
  let queuesBefore: Array<{ name: string; type: string; leader: string }> = [];

  beforeAll(async () => {
    service = await ServiceProcess.start(serviceEnv());
    nodeBefore = cluster.indexOf((await waitForConnected(service, 30_000)).node);
    const prefix = `${service.transportName}.`;
    queuesBefore = await cluster.queues(prefix);

    load = new LoadLoop({
      url: (n) => service.api({ ...COMPLETE, content: `m${n}` }),
      concurrency: 8,
      maxCalls: 1_000_000,
      hangMs: PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS,
    });
    await load.waitFor('200s before the kill', (r) => r.status === 200, 300, 30_000);
    killedAt = performance.now();
    await cluster.kill(nodeBefore);
    await load.waitFor('200s after the kill', (r) => r.status === 200 && r.startedAt > killedAt, 300, 30_000);
    records = await load.stop();
    nodeAfter = cluster.indexOf((await brokerHealth(service)).node);
  }, 180_000);

  afterAll(async () => {
    await load?.stop();
    await service?.stop();
  }, 60_000);

  it('declared quorum queues led by the node it then lost (the nack trap applies), its own reply queue classic', () => {
    expect(nodeBefore).toBe(0); // the first node of AMQP_URL that answers
    const name = (suffix: string) => `${service.transportName}.${suffix}`;
    const byName = Object.fromEntries(queuesBefore.map((queue) => [queue.name, queue]));
    for (const suffix of ['inbound', 'event', 'outbound']) {
      expect(byName[name(suffix)]).toMatchObject({ type: 'quorum', leader: cluster.nodes[nodeBefore].nodeName });
    }
    expect(byName[name(`outbound.${service.config.instanceId}`)]).toMatchObject({ type: 'classic' });
  });

  it('answered 200 again within 10 s of the kill, from another node', () => {
    const firstAfter = records.find((r) => r.status === 200 && r.startedAt > killedAt)!;
    expect(firstAfter.endedAt - killedAt).toBeLessThan(10_000);
    expect(nodeAfter).toBeGreaterThanOrEqual(0);
    expect(nodeAfter).not.toBe(nodeBefore);
  });

  it('answered every other request 503 with Retry-After within PUBLISH_TIMEOUT, never hanging', () => {
    expect(records.filter((r) => r.status !== 200 && r.status !== 503).map((r) => r.status)).toEqual([]);
    const refused = judge503s(records);
    expect(refused.withoutRetryAfter).toBe(0);
    expect(refused.slowest).toBeLessThan(PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS);
  });

  it("lost none of the 200s' messages: all are in .inbound on the surviving nodes", async () => {
    const survivor = cluster.nodes.find((node) => node.running)!;
    const queued = await drainQueue(survivor.url, routingKeysFor(service.transportName).inbound);
    const delivery = countDelivery(records, queued);
    const firstAfter = records.find((r) => r.status === 200 && r.startedAt > killedAt)!;
    report('kill -9 fire-and-forget', {
      requests: records.length,
      answered200: delivery.answered200,
      answered503: judge503s(records).count,
      lost: delivery.lost.length,
      duplicates: delivery.duplicates,
      msToFirst200AfterKill: Math.round(firstAfter.endedAt - killedAt),
      slowest503Ms: judge503s(records).slowest,
      channelRenewalsAfterNack: service.count('nacked a publish'),
    });
    expect(delivery.lost).toEqual([]);
    expect(delivery.answered200).toBeGreaterThanOrEqual(600);
  }, 90_000);

  it('takes the killed node back: restarted, it rejoins the cluster', async () => {
    await cluster.restart(nodeBefore);
    expect(await cluster.runningNodes()).toHaveLength(3);
  }, 90_000);
});

describe('reply mode: the application on another node, kill -9 of the service node', () => {
  let service: ServiceProcess;
  let echo: ChildProcess | undefined;
  let load: LoadLoop;
  let records: CallRecord[] = [];
  let killedAt = 0;
  let nodeBefore: number;
  const REQUEST_TIMEOUT_S = 10;

  beforeAll(async () => {
    service = await ServiceProcess.start(
      serviceEnv({ REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_S), REQUEST_CLEANUP_INTERVAL: '1' }),
    );
    nodeBefore = cluster.indexOf((await waitForConnected(service, 30_000)).node);
    // The application on the last node only: it survives the kill.
    const appNode = cluster.nodes.length - 1;
    expect(appNode).not.toBe(nodeBefore);
    echo = await startEcho({
      AMQP_URL: cluster.urls[appNode],
      AMQP_QUEUE_TYPE: 'quorum',
      TRANSPORT_NAME: service.transportName,
    });

    load = new LoadLoop({
      url: (n) => service.api({ ...COMPLETE, content: `r${n}` }),
      concurrency: 8,
      maxCalls: 1_000_000,
      hangMs: REQUEST_TIMEOUT_S * 1000 + PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS,
    });
    await load.waitFor('replies before the kill', (r) => r.status === 200, 200, 30_000);
    killedAt = performance.now();
    await cluster.kill(nodeBefore);
    await load.waitFor('replies after the kill', (r) => r.status === 200 && r.startedAt > killedAt, 200, 45_000);
    records = await load.stop();
  }, 180_000);

  afterAll(async () => {
    await load?.stop();
    await stopChild(echo);
    await service?.stop();
  }, 60_000);

  it('answered each request with its own reply, the time-out status or a 503, never hanging', () => {
    const statuses = new Set(records.map((r) => r.status));
    for (const status of statuses) expect([200, 503, 504]).toContain(status);
    for (const record of records.filter((r) => r.status === 200)) expect(record.body).toBe(`r${record.n}`);
    expect(judge503s(records).withoutRetryAfter).toBe(0);
  });

  it('resumed consuming on a surviving node: replies answered within 10 s of the kill', async () => {
    const firstAfter = records.find((r) => r.status === 200 && r.startedAt > killedAt)!;
    expect(firstAfter.endedAt - killedAt).toBeLessThan(10_000);
    const broker = await brokerHealth(service);
    expect(cluster.indexOf(broker.connections.consume.node)).not.toBe(nodeBefore);
    expect(broker.connections.consume.state).toBe('connected');

    // Held at the kill: started before it, answered after it.
    const held = records.filter((r) => r.startedAt < killedAt && r.endedAt > killedAt);
    const outcome = (status: CallRecord['status']) => held.filter((r) => r.status === status).length;
    report('kill -9 reply mode', {
      requests: records.length,
      replies200: records.filter((r) => r.status === 200).length,
      answered503: judge503s(records).count,
      timedOut504: records.filter((r) => r.status === 504).length,
      msToFirstReplyAfterKill: Math.round(firstAfter.endedAt - killedAt),
      heldAtKill: held.length,
      heldReplied: outcome(200),
      heldTimedOut: outcome(504),
      held503: outcome(503),
    });
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((r) => r.status !== 'hang' && r.status !== 'error')).toBe(true);
  });

  afterAll(async () => {
    await cluster.restart(nodeBefore);
  }, 90_000);
});

describe('a rolling restart of the three nodes under load', () => {
  let service: ServiceProcess;
  let load: LoadLoop;
  let records: CallRecord[] = [];

  beforeAll(async () => {
    service = await ServiceProcess.start(serviceEnv());
    await waitForConnected(service, 30_000);
    load = new LoadLoop({
      url: (n) => service.api({ ...COMPLETE, content: `roll${n}` }),
      concurrency: 8,
      maxCalls: 1_000_000,
      hangMs: PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS,
    });
    await load.waitFor('200s before the restarts', (r) => r.status === 200, 200, 30_000);
    for (let index = 0; index < cluster.nodes.length; index++) {
      await cluster.stop(index);
      await sleep(1_000); // load on two nodes for a moment
      await cluster.restart(index);
      const since = performance.now();
      await load.waitFor(`200s after restarting node ${index + 1}`, (r) => r.status === 200 && r.startedAt > since, 100, 30_000);
    }
    records = await load.stop();
  }, 300_000);

  afterAll(async () => {
    await load?.stop();
    await service?.stop();
  }, 60_000);

  it('lost none of the 200s, answered the rest 503 with Retry-After in time, never hanging', async () => {
    expect(records.filter((r) => r.status !== 200 && r.status !== 503).map((r) => r.status)).toEqual([]);
    const refused = judge503s(records);
    expect(refused.withoutRetryAfter).toBe(0);
    expect(refused.slowest).toBeLessThan(PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS);
    const queued = await drainQueue(cluster.urls[0], routingKeysFor(service.transportName).inbound);
    const delivery = countDelivery(records, queued);
    report('rolling restart', {
      requests: records.length,
      answered200: delivery.answered200,
      answered503: refused.count,
      lost: delivery.lost.length,
      duplicates: delivery.duplicates,
      slowest503Ms: refused.slowest,
    });
    expect(delivery.lost).toEqual([]);
    expect(await cluster.runningNodes()).toHaveLength(3);
  }, 90_000);
});
