import { ChildProcess } from 'node:child_process';
import { connect } from 'amqplib';
import { routingKeysFor } from '../src/wire/vumi-topology';
import { startTestService, TestService, uniqueTransportName, AMQP_URL } from './support/test-service';
import { ServiceProcess } from './support/service-process';
import { startEcho, stopChild } from './support/echo-application';
import { ReplyDispatcher, DispatchResult } from '../src/reply-path/outbound/reply-dispatcher';
import { VumiOutboundServer } from '../src/reply-path/outbound/vumi-outbound.server';
import { JsonObject } from '../src/wire/vumi-message';

function countResults(service: TestService): Record<DispatchResult, number> {
  const counts: Record<DispatchResult, number> = { replied: 0, forwarded: 0, nacked: 0 };
  service.app.get(ReplyDispatcher).onDispatch((result) => counts[result]++);
  return counts;
}

/** Several instances serving one transport name, with RabbitMQ routing each reply to its holder. */
describe('scale-out: two instances, one transport', () => {
  const transportName = uniqueTransportName('scale');
  let a: TestService;
  let b: TestService;
  let echo: ChildProcess | undefined;

  // Each stop drains (up to SHUTDOWN_TIMEOUT when something is still held): both at once, and time for both.
  afterAll(async () => {
    await stopChild(echo);
    await Promise.all([a?.stop(), b?.stop()]);
  }, 120_000);

  it('answers 1,000 reply-mode requests spread over both, each with its own reply', async () => {
    const env = { TRANSPORT_NAME: transportName, REPLY_EXPECTED: 'true', AMQP_PREFETCH_COUNT: '50' };
    a = await startTestService({ ...env, INSTANCE_ID: `${transportName}-a` });
    b = await startTestService({ ...env, INSTANCE_ID: `${transportName}-b` });
    const counts = [countResults(a), countResults(b)];
    echo = await startEcho({ AMQP_URL, TRANSPORT_NAME: transportName });

    const total = 1000;
    const concurrency = 50;
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const target = i % 2 === 0 ? a : b;
        const content = `message ${i} ✓`;
        const response = await fetch(target.api({ to_addr: '555', from_addr: `${i}`, content }));
        const body = await response.text();
        if (response.status !== 200 || body !== content) failures.push(`${i}: ${response.status} ${body}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    expect(failures).toEqual([]);
    // The ack event follows the HTTP answer: wait for the dispatchers to finish.
    const deadline = Date.now() + 10000;
    while (counts[0].replied + counts[1].replied < total && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const replied = counts[0].replied + counts[1].replied;
    const forwarded = counts[0].forwarded + counts[1].forwarded;
    expect(replied).toBe(total);
    // Both instances consume the shared queue, so some replies land on the instance that does not hold them.
    expect(forwarded).toBeGreaterThan(0);
    expect(counts[0].nacked + counts[1].nacked).toBe(0);
    process.stdout.write(`scale-out: ${total} replies, ${forwarded} forwarded between instances\n`);
  }, 120000);

  it('a reply without transport_metadata works at its holder and is nacked elsewhere', async () => {
    await stopChild(echo); // the test's peer answers now
    echo = undefined;
    const pendingAtA = fetch(a.api({ to_addr: '1', from_addr: '2', content: 'held by a' }));
    const first = await a.peer.nextInbound(10000);
    const withoutMetadata = async (inbound: Record<string, unknown>, content: string) => {
      const reply = await a.peer.reply({ ...inbound, transport_metadata: undefined }, content);
      return reply.message_id;
    };
    // Only B consumes the shared queue now: it does not hold the request and cannot tell who does.
    await a.app.get(VumiOutboundServer).stopConsuming();
    const nackedId = await withoutMetadata(first, 'lost');
    const event = await a.peer.eventFor(nackedId as string, 10000);
    expect(event).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });

    // A single instance holds every request, so the same reply finds its holder.
    const single = await startTestService({ REPLY_EXPECTED: 'true' });
    try {
      const pending = fetch(single.api({ to_addr: '1', from_addr: '2', content: 'hi' }));
      const inbound = await single.peer.nextInbound(10000);
      await single.peer.reply({ ...inbound, transport_metadata: {} }, 'found');
      expect(await (await pending).text()).toBe('found');
    } finally {
      await single.stop();
    }
    void pendingAtA.catch(() => undefined);
  }, 60000);
});

/**
 * A holder that dies: what was forwarded to its queue, before or after, comes back and is nacked.
 * The forwarder's REQUEST_TIMEOUT (2 s) is how long a forwarded reply waits in the holder's queue.
 */
describe('scale-out: replies to a holder that died', () => {
  const transportName = uniqueTransportName('holder');
  let a: TestService;
  let counts: Record<DispatchResult, number>;
  const holders: ServiceProcess[] = [];

  beforeAll(async () => {
    a = await startTestService({
      TRANSPORT_NAME: transportName,
      REPLY_EXPECTED: 'true',
      INSTANCE_ID: `${transportName}-a`,
      REQUEST_TIMEOUT: '2',
    });
    counts = countResults(a);
  }, 60_000);

  afterAll(async () => {
    for (const holder of holders) await holder.kill();
    await a?.stop();
    // The dead holders' queues outlive them (x-expires): not left behind by the tests.
    await deleteQueues(holders.map((holder) => routingKeysFor(transportName).instanceOutbound(holder.config.instanceId)));
  }, 60_000);

  /** A real process holding one request, so that it can die without a goodbye; with the inbound message of that request. */
  async function holderWithRequest(name: string) {
    const holder = await ServiceProcess.start({
      TRANSPORT_NAME: transportName,
      REPLY_EXPECTED: 'true',
      INSTANCE_ID: `${transportName}-${name}`,
    });
    holders.push(holder);
    const answer = fetch(holder.api({ to_addr: '1', from_addr: '2', content: name })).then(
      (r) => r.status,
      () => 'connection lost',
    );
    const inbound = await a.peer.nextInbound(10000);
    expect((inbound.transport_metadata as { http_api: { instance_id: string } }).http_api.instance_id).toBe(`${transportName}-${name}`);
    return { holder, inbound, answer };
  }

  it('nacks a reply that came after its holder died: forwarded to the queue the holder left, it expires and comes back', async () => {
    const { holder, inbound, answer } = await holderWithRequest('gone');
    await holder.kill();
    expect(await answer).toBe('connection lost');

    const forwardedBefore = counts.forwarded;
    const reply = await a.peer.reply(inbound, 'too late');
    expect(await a.peer.eventFor(reply.message_id as string, 15000)).toMatchObject({
      event_type: 'nack',
      nack_reason: 'No matching request',
    });
    expect(counts.forwarded).toBe(forwardedBefore + 1);
  }, 60000);

  it('nacks replies forwarded in the instant before their holder died (they were in its queue, or in its hands)', async () => {
    const { holder, inbound, answer } = await holderWithRequest('frozen');
    // Frozen, the holder still consumes as far as the broker knows: what reaches it stays unacknowledged.
    holder.signal('SIGSTOP');
    const forwardedBefore = counts.forwarded;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await a.peer.reply(inbound, `reply ${i}`));
    // The shared queue deals replies to both consumers in turn: A forwards its share into the frozen holder's queue.
    for (const deadline = Date.now() + 10_000; counts.forwarded === forwardedBefore && Date.now() < deadline;) await sleep(20);
    expect(counts.forwarded).toBeGreaterThan(forwardedBefore);

    await holder.kill();
    expect(await answer).toBe('connection lost');
    // Before, the holder's queue went with it, and what was forwarded into it got neither an ack nor a nack.
    const events = new Map<string, JsonObject>();
    const wanted = new Set(replies.map((reply) => reply.message_id as string));
    while ([...wanted].some((id) => !events.has(id))) {
      const event = await a.peer.nextEvent(15000);
      if (wanted.has(event.user_message_id as string)) events.set(event.user_message_id as string, event);
    }
    for (const event of events.values()) expect(event).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });
  }, 90000);

  it('a clean stop deletes its own queue when nothing waits in it', async () => {
    const leaving = await ServiceProcess.start({
      TRANSPORT_NAME: transportName,
      REPLY_EXPECTED: 'true',
      INSTANCE_ID: `${transportName}-leaving`,
    });
    holders.push(leaving);
    const own = routingKeysFor(transportName).instanceOutbound(leaving.config.instanceId);
    expect(await queueExists(own)).toBe(true);
    expect((await leaving.stop()).code).toBe(0);
    expect(await queueExists(own)).toBe(false);
  }, 60000);

  it('refuses a second instance with the same INSTANCE_ID: it cannot consume the forwarded replies of the first', async () => {
    const twin = await ServiceProcess.start(
      { TRANSPORT_NAME: transportName, REPLY_EXPECTED: 'true', INSTANCE_ID: `${transportName}-a` },
      { waitUntil: 'live' },
    );
    holders.push(twin);
    await twin.waitForOutput('ACCESS_REFUSED', 15_000);
    expect((await fetch(twin.path('/health/ready'))).status).toBe(503);
    // The first keeps its queue, and its replies.
    const pending = fetch(a.api({ to_addr: '1', from_addr: '2', content: 'still mine' }));
    const inbound = await a.peer.nextInbound(10000);
    await a.peer.reply(inbound, 'mine');
    expect(await (await pending).text()).toBe('mine');
  }, 60000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Deletes `queues` from the shared broker, on a connection of its own. */
async function deleteQueues(queues: string[]): Promise<void> {
  const connection = await connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Whether the shared broker has `queue`: a passive declare, on a channel of its own. */
async function queueExists(queue: string): Promise<boolean> {
  const connection = await connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.checkQueue(queue).then(
      () => true,
      () => false,
    );
  } finally {
    await connection.close().catch(() => undefined);
  }
}
