import { Logger } from '@nestjs/common';
import { loadConfig } from '../../config/config-loader';
import { MessagePublisher, PublishOutcome } from '../../broker/message-publisher';
import { PendingRequestsService } from '../pending-requests/pending-requests.service';
import { decodeOutboundMessage } from '../../wire/vumi-decoder';
import { CompleteReply } from '../../wire/reply-answer';
import { encodeMessage } from '../../wire/vumi-serializer';
import { buildReply, decodeJsonObject } from '../../wire/vumi-application';
import { JsonObject } from '../../wire/vumi-message';
import { DispatchResult, ReplyDispatcher } from './reply-dispatcher';
import { FORWARDED_REPLY_MAX_TTL_MS, INSTANCE_QUEUE_EXPIRES_MS } from '../../broker/amqp-topology';

/** Records what would go to the broker; forwarding routes unless told otherwise. */
class FakePublisher {
  published: Array<{ routingKey: string; message: JsonObject }> = [];
  mandatory: Array<{ routingKey: string; body: Buffer; expiresInMs: number }> = [];
  mandatoryOutcome: PublishOutcome = 'routed';
  failWith: Error | undefined;

  publish(routingKey: string, body: Buffer): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.published.push({ routingKey, message: decodeJsonObject(body) });
    return Promise.resolve();
  }

  publishMandatory(routingKey: string, body: Buffer, expiresInMs: number): Promise<PublishOutcome> {
    this.mandatory.push({ routingKey, body, expiresInMs });
    return Promise.resolve(this.mandatoryOutcome);
  }
}

/** Holds whatever ids it is given; records the replies. */
class FakePending {
  held = new Set<string>();
  replies: Array<[string, string]> = [];

  finishWithReply(reply: CompleteReply): boolean {
    if (!this.held.delete(reply.in_reply_to)) return false;
    this.replies.push([reply.in_reply_to, reply.content]);
    return true;
  }
}

const OWN_INSTANCE = 'instance-a';
const INBOUND_ID = 'a'.repeat(32);

function replyTo(holder: string | null, overrides: JsonObject = {}): JsonObject {
  const inbound: JsonObject = {
    message_id: INBOUND_ID,
    to_addr: '555',
    from_addr: '123',
    transport_metadata: holder === null ? {} : { http_api: { instance_id: holder } },
  };
  return { ...buildReply(inbound, 'the answer'), ...overrides };
}

describe('ReplyDispatcher', () => {
  let publisher: FakePublisher;
  let pending: FakePending;
  let results: Array<[DispatchResult, string | undefined]>;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    publisher = new FakePublisher();
    pending = new FakePending();
    results = [];
  });

  afterEach(() => jest.restoreAllMocks());

  function create(env: Record<string, string> = {}): ReplyDispatcher {
    const config = loadConfig({ TRANSPORT_NAME: 'unit', REPLY_EXPECTED: 'true', INSTANCE_ID: OWN_INSTANCE, ...env });
    const dispatcher = new ReplyDispatcher(config, pending as unknown as PendingRequestsService, publisher as unknown as MessagePublisher);
    dispatcher.onDispatch((result, reason) => results.push([result, reason]));
    return dispatcher;
  }

  function dispatch(dispatcher: ReplyDispatcher, raw: JsonObject, travelled = false) {
    const body = encodeMessage(raw);
    return dispatcher.dispatch(decodeOutboundMessage(body, 1 << 20), body, travelled);
  }

  it('delivers a reply to its held request, then acks it on <transport>.event', async () => {
    pending.held.add(INBOUND_ID);
    const reply = replyTo(OWN_INSTANCE);
    expect(await dispatch(create(), reply)).toBe('replied');
    expect(pending.replies).toEqual([[INBOUND_ID, 'the answer']]);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({
      routingKey: 'unit.event',
      message: {
        message_type: 'event',
        event_type: 'ack',
        user_message_id: reply.message_id,
        sent_message_id: reply.message_id,
        transport_name: 'unit',
      },
    });
    expect(results).toEqual([['replied', undefined]]);
  });

  it.each([
    [{ in_reply_to: null }, 'Missing fields: in_reply_to'],
    [{ content: '' }, 'Missing fields: content'],
    [{ in_reply_to: '', content: null }, 'Missing fields: in_reply_to, content'],
    [{ content: 42 }, 'Invalid fields: content'],
  ])('nacks %j with %s and leaves held requests alone', async (overrides, reason) => {
    pending.held.add(INBOUND_ID);
    const reply = replyTo(OWN_INSTANCE, overrides);
    expect(await dispatch(create(), reply)).toBe('nacked');
    expect(pending.held.has(INBOUND_ID)).toBe(true);
    expect(publisher.published.map((p) => p.message)).toEqual([
      expect.objectContaining({
        event_type: 'nack',
        user_message_id: reply.message_id,
        sent_message_id: reply.message_id,
        nack_reason: reason,
      }),
    ]);
    expect(results).toEqual([['nacked', reason]]);
  });

  it('with reply_expected off, nacks even a reply that matches a held request', async () => {
    pending.held.add(INBOUND_ID);
    expect(await dispatch(create({ REPLY_EXPECTED: 'false' }), replyTo(OWN_INSTANCE))).toBe('nacked');
    expect(pending.replies).toEqual([]);
    expect(publisher.published[0].message.nack_reason).toMatch(/not expected/i);
  });

  it('nacks No matching request when this instance holds it no longer', async () => {
    expect(await dispatch(create(), replyTo(OWN_INSTANCE))).toBe('nacked');
    expect(publisher.mandatory).toEqual([]);
    expect(publisher.published[0].message.nack_reason).toBe('No matching request');
  });

  it('nacks No matching request when the reply names no holder', async () => {
    expect(await dispatch(create(), replyTo(null))).toBe('nacked');
    expect(publisher.mandatory).toEqual([]);
    expect(publisher.published[0].message.nack_reason).toBe('No matching request');
  });

  it('forwards a reply held by another instance to that instance, unchanged, without an event', async () => {
    const reply = replyTo('instance-b');
    const body = encodeMessage(reply);
    const result = await create().dispatch(decodeOutboundMessage(body, 1 << 20), body, false);
    expect(result).toBe('forwarded');
    // It may wait in the holder's queue 30 s (REQUEST_TIMEOUT is 240 s by default), then comes back to be nacked.
    expect(publisher.mandatory).toEqual([{ routingKey: 'unit.outbound.instance-b', body, expiresInMs: 30_000 }]);
    expect(publisher.published).toEqual([]);
  });

  it("gives a forwarded reply REQUEST_TIMEOUT to wait when that is shorter, never more than the cap, far inside its queue's expiry", async () => {
    await dispatch(create({ REQUEST_TIMEOUT: '5' }), replyTo('instance-b'));
    await dispatch(create({ REQUEST_TIMEOUT: String(24 * 3600) }), replyTo('instance-b'));
    expect(publisher.mandatory.map((m) => m.expiresInMs)).toEqual([5000, FORWARDED_REPLY_MAX_TTL_MS]);
    expect(FORWARDED_REPLY_MAX_TTL_MS * 10).toBeLessThan(INSTANCE_QUEUE_EXPIRES_MS);
  });

  it('nacks when the holder instance is gone (its queue is unroutable)', async () => {
    publisher.mandatoryOutcome = 'unroutable';
    expect(await dispatch(create(), replyTo('instance-b'))).toBe('nacked');
    expect(publisher.published[0].message.nack_reason).toBe('No matching request');
    expect(publisher.published[0].message.sent_message_id).toBe(publisher.published[0].message.user_message_id);
  });

  it('never forwards a message that was itself forwarded, or came back expired from a holder (no ping-pong)', async () => {
    expect(await dispatch(create(), replyTo('instance-b'), true)).toBe('nacked');
    expect(publisher.mandatory).toEqual([]);
    expect(publisher.published[0].message.nack_reason).toBe('No matching request');
  });

  it('fails when the event cannot be published, so the consumer can settle the delivery', async () => {
    publisher.failWith = new Error('broker gone');
    await expect(dispatch(create(), replyTo(null))).rejects.toThrow('broker gone');
    expect(results).toEqual([]);
  });

  it('acks the redelivery of a reply it answered, instead of nacking it (the broker went away mid-way)', async () => {
    const dispatcher = create();
    pending.held.add(INBOUND_ID);
    const reply = replyTo(OWN_INSTANCE);
    publisher.failWith = new Error('broker gone');
    await expect(dispatch(dispatcher, reply)).rejects.toThrow('broker gone');
    expect(pending.replies).toEqual([[INBOUND_ID, 'the answer']]); // the caller has its answer

    publisher.failWith = undefined; // the redelivery, once the broker is back
    expect(await dispatch(dispatcher, reply)).toBe('replied');
    expect(publisher.published.map((p) => p.message)).toEqual([
      expect.objectContaining({ event_type: 'ack', user_message_id: reply.message_id }),
    ]);
    // The event went out but the AMQP ack did not: the next copy is acked again, never nacked.
    expect(await dispatch(dispatcher, reply)).toBe('replied');
    expect(publisher.published.map((p) => p.message.event_type)).toEqual(['ack', 'ack']);
    // A different reply to the same request is still a stray.
    expect(await dispatch(dispatcher, { ...reply, message_id: 'b'.repeat(32) })).toBe('nacked');
  });

  it('acks again, not nacks, when a reply answered over HTTP is redelivered because its ack failed', async () => {
    const dispatcher = create();
    pending.held.add(INBOUND_ID);
    const reply = replyTo(OWN_INSTANCE);
    publisher.failWith = new Error('broker gone');
    await expect(dispatch(dispatcher, reply)).rejects.toThrow('broker gone');
    expect(pending.replies).toHaveLength(1);
    publisher.failWith = undefined;
    expect(await dispatch(dispatcher, reply)).toBe('replied');
    expect(pending.replies).toHaveLength(1);
    expect(publisher.published.map((p) => p.message)).toEqual([
      expect.objectContaining({ event_type: 'ack', user_message_id: reply.message_id }),
    ]);
  });

  it('remembers answered replies within its bound, oldest out first, and only with the request they answered', async () => {
    const dispatcher = create();
    const id = (n: number) => n.toString(16).padStart(32, '0');
    for (let n = 0; n < 11_500; n++) {
      pending.held.add(INBOUND_ID);
      expect(await dispatch(dispatcher, { ...replyTo(OWN_INSTANCE), message_id: id(n) })).toBe('replied');
    }
    const answered = (dispatcher as unknown as { answered: Map<string, string> }).answered;
    expect(answered.size).toBeLessThanOrEqual(11_000);
    expect(answered.size).toBeGreaterThanOrEqual(10_000);
    expect(answered.has(id(0))).toBe(false); // the oldest went first
    expect(answered.get(id(11_499))).toBe(INBOUND_ID);
    // The newest reply's redelivery is acked; the same message id answering another request is not.
    expect(await dispatch(dispatcher, { ...replyTo(OWN_INSTANCE), message_id: id(11_499) })).toBe('replied');
    expect(await dispatch(dispatcher, { ...replyTo(OWN_INSTANCE), message_id: id(11_499), in_reply_to: 'c'.repeat(32) })).toBe('nacked');
  });
});
