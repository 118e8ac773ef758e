import { buildReply } from '../../src/wire/vumi-application';
import { JsonObject } from '../../src/wire/vumi-message';
import { call, RawClient } from '../support/http-call';
import { MetricsReader } from '../support/metrics-scrape';
import { AMQP_URL, ServiceProcess } from '../support/service-process';
import { VumiPeer } from '../support/vumi-peer';

/**
 * Hostile and broken messages on `<transport>.outbound`, and replies that try
 * to smuggle HTTP headers. Each gets a nack event or is dropped and counted;
 * the process stays up and the next good reply still works.
 */

const MAX_OUTBOUND = 64 * 1024;
const INJECTION = 'x\r\nSet-Cookie: a=b';
/** Dropped outbound messages, as counted for Prometheus. */
const MALFORMED = 'vumi_http_api_outbound_malformed_total';
type MalformedReason = 'not_json' | 'not_an_object' | 'no_message_id' | 'too_large';

describe('hostile outbound messages', () => {
  let service: ServiceProcess;
  let peer: VumiPeer;
  let malformed: MetricsReader;
  let serial = 0;

  beforeAll(async () => {
    service = await ServiceProcess.start({
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '3',
      REQUEST_CLEANUP_INTERVAL: '1',
      REQUEST_TIMEOUT_BODY: INJECTION,
      MAX_OUTBOUND_MESSAGE_BYTES: String(MAX_OUTBOUND),
    });
    peer = await VumiPeer.connect(AMQP_URL, service.transportName);
    malformed = new MetricsReader(service.path(service.config.metricsPath));
  });

  afterAll(async () => {
    await service?.stop();
    await peer?.destroy();
  });

  /** A held request and its inbound message. */
  async function holdOne(): Promise<{ answer: ReturnType<typeof call>; inbound: JsonObject }> {
    const from = `caller ${serial++}`;
    const answer = call(service.api({ to_addr: '555', from_addr: from, content: 'hi' }));
    for (;;) {
      const inbound = await peer.nextInbound(10_000);
      if (inbound.from_addr === from) return { answer, inbound };
    }
  }

  /** The proof that the service is still whole: a held request answered by a good reply, and its ack. */
  async function goodReplyStillWorks(): Promise<void> {
    const { answer, inbound } = await holdOne();
    const reply = await peer.reply(inbound, 'still here');
    expect(await answer).toMatchObject({ status: 200, body: 'still here' });
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'ack', user_message_id: reply.message_id });
    expect(service.hasExited).toBe(false);
  }

  // The malformed lines are throttled (one per 10 s, issue 21): the metric, by reason, counts each message.
  async function expectDropped(bodies: Array<string | Buffer>, reason: MalformedReason): Promise<void> {
    const counted = await malformed.value(MALFORMED, { reason });
    for (const body of bodies) await peer.publishOutbound(body);
    expect(await malformed.waitFor(MALFORMED, { reason }, counted + bodies.length)).toBe(counted + bodies.length);
    // Acked, not requeued; no event for what cannot be answered (the next event is the good reply's ack).
    await goodReplyStillWorks();
    expect(await peer.depth(peer.keys.outbound)).toBe(0);
    expect(await peer.depth(peer.keys.event)).toBe(0);
  }

  it('drops a message that is not JSON', async () => {
    await expectDropped(['not json', '{"message_id": ', Buffer.from([0xff, 0xfe, 0x00, 0x80])], 'not_json');
  });

  it('drops JSON that is not an object, or has no usable message_id', async () => {
    await expectDropped(['[]', '"text"', '5', 'null', 'true'], 'not_an_object');
    await expectDropped(['{}', '{"message_id": 5, "content": "x"}', '{"message_id": ""}'], 'no_message_id');
  });

  it('nacks wrong field types with the field named, and the held request still gets its good reply', async () => {
    const { answer, inbound } = await holdOne();
    const wrong: JsonObject = { ...buildReply(inbound, 'x'), content: 5 };
    await peer.publishOutbound(wrong);
    expect(await peer.nextEvent()).toMatchObject({
      event_type: 'nack',
      user_message_id: wrong.message_id,
      nack_reason: 'Invalid fields: content',
    });
    const wrongTarget = { ...buildReply(inbound, 'x'), in_reply_to: ['not', 'a', 'string'] };
    await peer.publishOutbound(wrongTarget);
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'nack', nack_reason: 'Invalid fields: in_reply_to' });

    await peer.reply(inbound, 'the right one');
    expect(await answer).toMatchObject({ status: 200, body: 'the right one' });
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'ack' });
  });

  it('drops and counts a message above MAX_OUTBOUND_MESSAGE_BYTES; the request it answers keeps waiting', async () => {
    const { answer, inbound } = await holdOne();
    const counted = await malformed.value(MALFORMED, { reason: 'too_large' });
    await peer.publishOutbound(buildReply(inbound, 'h'.repeat(MAX_OUTBOUND)));
    expect(await malformed.waitFor(MALFORMED, { reason: 'too_large' }, counted + 1)).toBe(counted + 1);
    await peer.reply(inbound, 'small enough');
    expect(await answer).toMatchObject({ status: 200, body: 'small enough' });
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'ack' });
    await goodReplyStillWorks();
  });

  it('nacks a reply naming a holder instance whose queue name cannot exist', async () => {
    const { answer, inbound } = await holdOne();
    for (const instance of ['x'.repeat(300), 'ü'.repeat(200), 'gone-instance']) {
      const stray = buildReply(
        { ...inbound, message_id: 'f'.repeat(32), transport_metadata: { http_api: { instance_id: instance } } },
        'stray',
      );
      await peer.publishOutbound(stray);
      expect(await peer.nextEvent()).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });
    }
    await peer.reply(inbound, 'mine');
    expect(await answer).toMatchObject({ status: 200, body: 'mine' });
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'ack' });
  });

  it('puts CR/LF in reply content into the body only, never into the headers', async () => {
    const content = 'ok\r\nSet-Cookie: a=b\r\n\r\nHTTP/1.1 200 OK\r\nX-Evil: 1';
    const client = await RawClient.open(service.url);
    const from = `raw ${serial++}`;
    const target = new URL(service.api({ to_addr: '555', from_addr: from, content: 'hi' }));
    client.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    let inbound: JsonObject;
    do inbound = await peer.nextInbound(10_000);
    while (inbound.from_addr !== from);
    await peer.reply(inbound, content);
    await client.waitClosed(10_000);
    const raw = Buffer.from(client.text, 'latin1');
    const split = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, split).toString('latin1');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head).not.toMatch(/set-cookie|x-evil/i);
    expect(raw.subarray(split + 4).toString('utf8')).toBe(content);
    expect(await peer.nextEvent()).toMatchObject({ event_type: 'ack' });
  });

  it('puts CR/LF in REQUEST_TIMEOUT_BODY into the body only, never into the headers', async () => {
    const { answer } = await holdOne(); // nobody replies: it times out
    const timedOut = await answer;
    expect(timedOut.status).toBe(504);
    expect(timedOut.body).toBe(INJECTION);
    expect(timedOut.headers.get('set-cookie')).toBeNull();
    await goodReplyStillWorks();
  });
});
