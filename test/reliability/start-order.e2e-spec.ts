import { encodeMessage } from '../../src/wire/vumi-serializer';
import { routingKeysFor, VUMI_EXCHANGE } from '../../src/wire/vumi-topology';
import { Answer, call, waitForStatus } from '../support/http-call';
import { parseExposition, valueOf } from '../support/metrics-scrape';
import { freePort, PrivateBroker } from '../support/private-broker';
import { drainQueue, withBroker } from '../support/queue-drain';
import { ServiceProcess } from '../support/service-process';
import { JsonObject } from '../../src/wire/vumi-message';
import { buildReply, decodeJsonObject } from '../../src/wire/vumi-application';

/**
 * Start in any order: both modes started while their broker is not there yet
 * (a private node prepared, not launched; the fire-and-forget instance lists a
 * second node nobody answers on, so no node of its list answers), then the
 * node started. One timeline, run once; each `it` judges it.
 */

const SECRET = 's3cret-start-order';
const P = 'vumi_http_api_';

/** The next message on `queue`, taken off it. */
async function nextInbound(url: string, queue: string): Promise<JsonObject> {
  return withBroker(url, async (connection) => {
    const channel = await connection.createChannel();
    for (const deadline = Date.now() + 10_000; ;) {
      const message = await channel.get(queue, { noAck: true });
      if (message) return decodeJsonObject(message.content);
      if (Date.now() >= deadline) throw new Error(`no message on ${queue}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  });
}

interface Before {
  live: Answer;
  ready: Answer;
  health: Answer;
  api: Answer;
  metrics: string;
}

describe('a service started before its broker', () => {
  let broker: PrivateBroker;
  let fireAndForget: ServiceProcess;
  let replyMode: ServiceProcess;
  let deadNode: string;
  const before = new Map<string, Before>();
  let accepted: Answer;
  let inboundAfter = new Map<string, number>();
  let heldAnswer: Answer;
  let metricsAfter: string;
  let exitCodes: Array<number | null> = [];

  beforeAll(async () => {
    const t0 = performance.now();
    const step = (what: string) => process.stdout.write(`start-order: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    broker = await PrivateBroker.prepare(); // its port is known; nothing listens on it yet
    const deadPort = await freePort();
    deadNode = `127.0.0.1:${deadPort}`;
    const common = { AMQP_RECONNECT_INTERVAL: '0.5', PUBLISH_TIMEOUT: '2' };
    [fireAndForget, replyMode] = await Promise.all([
      ServiceProcess.start({ ...common, AMQP_URL: `amqp://guest:${SECRET}@${deadNode}/,${broker.url}` }, { waitUntil: 'live' }),
      ServiceProcess.start({ ...common, AMQP_URL: broker.url, REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '60' }, { waitUntil: 'live' }),
    ]);
    step('both services live');
    for (const service of [fireAndForget, replyMode]) {
      await service.waitForOutput(`Cannot reach the broker node 127.0.0.1:${broker.port}`);
      before.set(service.transportName, {
        live: await call(service.path(service.config.livenessPath)),
        ready: await call(service.path(service.config.readinessPath)),
        health: await call(service.path(service.config.healthPath)),
        api: await call(service.api({ to_addr: '555', from_addr: '123', content: 'too early' })),
        metrics: (await call(service.path(service.config.metricsPath))).body,
      });
    }
    await fireAndForget.waitForOutput(`Cannot reach the broker node ${deadNode}`);

    step('probed before the broker');
    await broker.launchNode();
    step('broker started');
    await Promise.all([fireAndForget.waitUntilReady(), replyMode.waitUntilReady()]);
    step('both ready');

    accepted = await call(fireAndForget.api({ to_addr: '555', from_addr: '123', content: 'after the broker came' }));
    const replyKeys = routingKeysFor(replyMode.transportName);
    const held = call(replyMode.api({ to_addr: '555', from_addr: '123', content: 'held' }));
    const inbound = await nextInbound(broker.url, replyKeys.inbound);
    await withBroker(broker.url, async (connection) => {
      const channel = await connection.createConfirmChannel();
      channel.publish(VUMI_EXCHANGE, replyKeys.outbound, encodeMessage(buildReply(inbound, 'replied through the late broker')), {
        persistent: true,
      });
      await channel.waitForConfirms();
    });
    heldAnswer = await held;
    step('traffic done');
    metricsAfter = (await waitForStatus(fireAndForget.path(fireAndForget.config.metricsPath), 200)).body;
    exitCodes = [(await fireAndForget.stop()).code, (await replyMode.stop()).code];
    inboundAfter = await drainQueue(broker.url, routingKeysFor(fireAndForget.transportName).inbound);
  }, 170_000);

  afterAll(async () => {
    await fireAndForget?.kill();
    await replyMode?.kill();
    await broker?.destroy();
  });

  const each = () => [...before.entries()];

  it('is live, and says on readiness and health that the broker is not there, with its state', () => {
    expect(before.size).toBe(2);
    for (const [, seen] of each()) {
      expect(seen.live.status).toBe(200);
      for (const answer of [seen.ready, seen.health]) {
        expect(answer.status).toBe(503);
        const broker = (JSON.parse(answer.body) as { error: { broker: Record<string, unknown> } }).error.broker;
        expect(broker).toMatchObject({ status: 'down', state: 'disconnected' });
        expect(String(broker.error)).toContain('ECONNREFUSED');
      }
    }
  });

  it('answers the API 503 with Retry-After until the broker answers', () => {
    for (const [, seen] of each()) {
      expect(seen.api.status).toBe(503);
      expect(seen.api.headers.get('retry-after')).toBe(String(fireAndForget.config.retryAfter));
      expect(JSON.parse(seen.api.body)).toMatchObject({ error: 'broker_unavailable' });
    }
  });

  it('serves /metrics from boot, the broker state included', () => {
    for (const [, seen] of each()) {
      const samples = parseExposition(seen.metrics);
      expect(valueOf(samples, `${P}broker_connection_state`, { state: 'connected' })).toBe(0);
      expect(valueOf(samples, `${P}broker_connection_state`, { state: 'disconnected' })).toBe(1);
    }
    expect(valueOf(parseExposition(metricsAfter), `${P}broker_connection_state`, { state: 'connected' })).toBe(1);
  });

  it('logs each failed attempt naming the node and the error, never the credentials', () => {
    for (const node of [deadNode, `127.0.0.1:${broker.port}`]) {
      const lines = fireAndForget
        .output()
        .split('\n')
        .filter((line) => line.includes(`Cannot reach the broker node ${node}`));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toContain('ECONNREFUSED');
      expect(lines[0]).toContain('"level":"warn"');
    }
    expect(fireAndForget.output()).not.toContain(SECRET);
    expect(fireAndForget.output()).toContain('ready for traffic');
    expect(replyMode.output()).toContain('ready for traffic');
  });

  it('takes traffic once the broker answers, without a restart', () => {
    expect(accepted.status).toBe(200);
    const id = (JSON.parse(accepted.body) as { message_id: string }).message_id;
    expect(inboundAfter.get(id)).toBe(1);
    expect(exitCodes).toEqual([0, 0]);
  });

  it('in reply mode holds a request and answers it with the reply that came through the broker', () => {
    expect(heldAnswer).toMatchObject({ status: 200, body: 'replied through the late broker' });
  });
});
