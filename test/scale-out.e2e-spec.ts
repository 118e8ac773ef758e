import { ChildProcess } from 'node:child_process';
import { connect } from 'amqplib';
import { routingKeysFor } from '../src/wire/vumi-topology';
import { startTestService, TestService, uniqueTransportName, AMQP_URL } from './support/test-service';
import { ServiceProcess } from './support/service-process';
import { startEcho, stopChild } from './support/echo-application';
import { ReplyDispatcher, DispatchResult } from '../src/reply-path/outbound/reply-dispatcher';
import { VumiOutboundServer } from '../src/reply-path/outbound/vumi-outbound.server';

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

  it('nacks a reply whose holder died, and no other instance hangs on it', async () => {
    await stopChild(echo);
    echo = undefined;
    // The holder is a real process so that it can die without a goodbye.
    const holderId = `${transportName}-doomed`;
    const holder = await ServiceProcess.start({
      TRANSPORT_NAME: transportName,
      REPLY_EXPECTED: 'true',
      INSTANCE_ID: holderId,
    });
    const pending = fetch(holder.api({ to_addr: '1', from_addr: '2', content: 'doomed' })).then(
      (r) => r.status,
      () => 'connection lost',
    );
    const inbound = await a.peer.nextInbound(10000);
    expect((inbound.transport_metadata as { http_api: { instance_id: string } }).http_api.instance_id).toBe(holderId);
    await holder.kill();
    expect(await pending).toBe('connection lost');
    // Died as far as the broker knows: its own queue (exclusive) is gone. A reply sent before that would
    // be forwarded into the queue and go with it, un-nacked (docs: the window is the broker noticing).
    await queueGone(routingKeysFor(transportName).instanceOutbound(holderId));

    const reply = await a.peer.reply(inbound, 'too late');
    let event = await a.peer.nextEvent(10000);
    while (event.user_message_id !== reply.message_id) event = await a.peer.nextEvent(10000);
    expect(event).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });
  }, 60000);

  it('a reply without transport_metadata works at its holder and is nacked elsewhere', async () => {
    const pendingAtA = fetch(a.api({ to_addr: '1', from_addr: '2', content: 'held by a' }));
    const first = await a.peer.nextInbound(10000);
    const withoutMetadata = async (inbound: Record<string, unknown>, content: string) => {
      const reply = await a.peer.reply({ ...inbound, transport_metadata: undefined }, content);
      return reply.message_id;
    };
    // Only B consumes the shared queue now: it does not hold the request and cannot tell who does.
    await a.app.get(VumiOutboundServer).stopConsuming(1000);
    const nackedId = await withoutMetadata(first, 'lost');
    let event = await a.peer.nextEvent(10000);
    while (event.user_message_id !== nackedId) event = await a.peer.nextEvent(10000);
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

/** Waits (up to 10 s) until the broker no longer has `queue`: a passive declare fails on a channel of its own. */
async function queueGone(queue: string): Promise<void> {
  const connection = await connect(AMQP_URL);
  try {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const exists = await channel.checkQueue(queue).then(
        () => true,
        () => false,
      );
      if (!exists) return;
      await channel.close().catch(() => undefined);
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`${queue} still there 10 s after its instance died`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
