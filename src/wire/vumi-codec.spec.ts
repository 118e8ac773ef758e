import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildAck,
  buildInboundMessage,
  buildNack,
  buildStatus,
  decodeOutboundMessage,
  encodeMessage,
  MalformedVumiMessageError,
  missingFieldsReason,
  OutboundMessage,
} from './vumi-codec';
import { buildReply, decodeJsonObject } from './vumi-application';
import { newVumiId } from './vumi-ids';
import { JsonObject } from './vumi-message';

jest.mock('./vumi-ids', () => ({ ...jest.requireActual<typeof import('./vumi-ids')>('./vumi-ids'), newVumiId: jest.fn() }));
// 2026-11-27 10:27:54.123456 UTC: the fixtures' timestamp, with real microseconds.
jest.mock('./vumi-clock', () => ({ nowMicros: () => 1795775274123456 }));

/** A golden JSON fixture: the exact shapes of wire-protocol.md. */
function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as JsonObject;
}

/** What a Vumi worker reads off the wire. */
const wire = (message: object) => JSON.parse(encodeMessage(message as JsonObject).toString('utf8')) as JsonObject;

const NOW = new Date('2026-11-27T10:27:54.123Z');
const MAX = 1024 * 1024;

/** The error decodeOutboundMessage throws, to check its reason. */
function refusal(body: Buffer | string, maxBytes = MAX): MalformedVumiMessageError {
  try {
    decodeOutboundMessage(Buffer.isBuffer(body) ? body : Buffer.from(body), maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedVumiMessageError);
    return error as MalformedVumiMessageError;
  }
  throw new Error('expected MalformedVumiMessageError');
}

function outbound(fields: JsonObject): OutboundMessage {
  return decodeOutboundMessage(encodeMessage({ message_id: 'abc', ...fields }), MAX);
}

beforeEach(() => {
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate'] });
  jest.mocked(newVumiId).mockReturnValue('1f2e3d4c5b6a47988877665544332211');
});
afterEach(() => jest.useRealTimers());

describe('golden messages, field for field', () => {
  it('user message: every field of the spec present, null where empty', () => {
    const built = buildInboundMessage(
      { to_addr: '555', from_addr: '123', content: 'hello öæł', group: null, session_event: 'new' },
      { transportName: 'sms_api', instanceId: 'pod-1', messageId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9' },
    );
    expect(wire(built)).toStrictEqual(fixture('user-message'));
    expect(Object.keys(built).sort()).toEqual(Object.keys(fixture('user-message')).sort());
  });

  it('user message: a new id for each message unless one is given', () => {
    const fields = { to_addr: '1', from_addr: '2', content: null, group: null, session_event: null };
    const built = buildInboundMessage(fields, { transportName: 't', instanceId: 'i' });
    expect(built.message_id).toBe('1f2e3d4c5b6a47988877665544332211');
    expect(wire(built)).toMatchObject({ content: null, session_event: null, helper_metadata: {} });
  });

  it('user message: helper_metadata when given', () => {
    const fields = { to_addr: '1', from_addr: '2', content: 'x', group: 'g', session_event: null };
    const built = buildInboundMessage(fields, { transportName: 't', instanceId: 'i', helperMetadata: { a: 1 } });
    expect(built.helper_metadata).toEqual({ a: 1 });
  });

  it('ack', () => {
    expect(wire(buildAck('9a8b7c6d5e4f43218765432187654321', 'sms_api'))).toStrictEqual(fixture('ack'));
  });

  it("nack: sent_message_id is the outbound message's id, as Vumi's reject_message and its test_nack", () => {
    const built = buildNack('9a8b7c6d5e4f43218765432187654321', 'Missing fields: in_reply_to, content', 'sms_api');
    expect(wire(built)).toStrictEqual(fixture('nack'));
    expect(built.sent_message_id).toBe(built.user_message_id);
  });

  it('status', () => {
    const built = buildStatus({
      component: 'response',
      status: 'degraded',
      type: 'slow_response',
      message: 'Slow response',
      reasons: ['Response took longer than 1s'],
      details: { response_time: 1.5 },
    });
    expect(wire(built)).toStrictEqual(fixture('status'));
  });

  it('status: reasons [] and details {} by default', () => {
    const built = buildStatus({ component: 'response', status: 'ok', type: 'response_sent', message: 'Response sent' });
    expect(wire(built)).toMatchObject({ reasons: [], details: {} });
  });

  it("reply: what Vumi's msg.reply(content) sends", () => {
    jest.mocked(newVumiId).mockReturnValue('5c4b3a29181746f5a4b3c2d1e0f9e8d7');
    expect(wire(buildReply(fixture('user-message'), 'Thanks!'))).toStrictEqual(fixture('vumi-reply'));
    expect(buildReply(fixture('user-message'), 'Bye', { continueSession: false }).session_event).toBe('close');
  });

  it.each(['user-message', 'ack', 'nack', 'status', 'vumi-reply'])('%s decodes to itself after encoding', (name) => {
    const golden = fixture(name);
    const bytes = encodeMessage(golden);
    expect(bytes.toString('utf8')).toBe(JSON.stringify(golden)); // UTF-8 JSON, nothing else
    expect(decodeJsonObject(bytes)).toStrictEqual(golden);
  });
});

describe('decodeOutboundMessage', () => {
  it('reads what the transport needs from a Vumi reply, keeping the raw message', () => {
    const reply = fixture('vumi-reply');
    const decoded = decodeOutboundMessage(encodeMessage(reply), MAX);
    expect(decoded).toStrictEqual({
      message_id: '5c4b3a29181746f5a4b3c2d1e0f9e8d7',
      in_reply_to: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
      content: 'Thanks!',
      holder_instance_id: 'pod-1',
      invalid_fields: [],
      raw: reply,
    });
  });

  it('ignores fields it does not know and takes a message without message_type', () => {
    const decoded = outbound({ in_reply_to: 'x', content: 'y', something_new: [1, 2], transport_metadata: null });
    expect(decoded).toMatchObject({ in_reply_to: 'x', content: 'y', holder_instance_id: null, invalid_fields: [] });
  });

  it.each([
    ['absent', {}],
    ['null', { in_reply_to: null, content: null }],
    ['empty', { in_reply_to: '', content: '' }],
  ])('counts %s fields as missing (null)', (_, fields) => {
    expect(outbound(fields)).toMatchObject({ in_reply_to: null, content: null, invalid_fields: [] });
  });

  it('reports optional fields of the wrong type as invalid', () => {
    expect(outbound({ in_reply_to: 42, content: { text: 'x' } })).toMatchObject({
      in_reply_to: null,
      content: null,
      invalid_fields: ['in_reply_to', 'content'],
    });
  });

  it('reports a content or in_reply_to with a lone surrogate as invalid (it has no UTF-8 form)', () => {
    const decoded = decodeOutboundMessage(Buffer.from('{"message_id":"abc","in_reply_to":"x","content":"a\\ud800"}'), MAX);
    expect(decoded).toMatchObject({ content: null, invalid_fields: ['content'] });
    expect(missingFieldsReason(decoded)).toBe('Invalid fields: content');
    const paired = decodeOutboundMessage(Buffer.from('{"message_id":"abc","in_reply_to":"x","content":"\\ud83d\\ude00"}'), MAX);
    expect(paired).toMatchObject({ content: '\u{1F600}', invalid_fields: [] });
  });

  it.each([
    ['a non-string instance id', { http_api: { instance_id: 7 } }],
    ['an empty instance id', { http_api: { instance_id: '' } }],
    ['another transport’s metadata', { other: { instance_id: 'pod-1' } }],
    ['metadata that is a list', ['pod-1']],
  ])('has no holder for %s', (_, transport_metadata) => {
    expect(outbound({ transport_metadata }).holder_instance_id).toBeNull();
  });

  it.each([
    ['not JSON', 'hello', 'body is not JSON'],
    ['truncated JSON', '{"message_id": "a"', 'body is not JSON'],
    ['an empty body', '', 'body is not JSON'],
    ['a JSON array', '[{"message_id":"a"}]', 'body is not a JSON object'],
    ['a JSON string', '"text"', 'body is not a JSON object'],
    ['JSON null', 'null', 'body is not a JSON object'],
    ['a JSON number', '42', 'body is not a JSON object'],
    ['no message_id', '{"content":"x","in_reply_to":"y"}', 'message_id is missing or not a string'],
    ['a numeric message_id', '{"message_id":123}', 'message_id is missing or not a string'],
    ['an empty message_id', '{"message_id":""}', 'message_id is missing or not a string'],
    ['a null message_id', '{"message_id":null}', 'message_id is missing or not a string'],
    ['an event', '{"message_id":"a","message_type":"event"}', 'message_type is "event"'],
  ])('refuses %s', (_, body, reason) => {
    const error = refusal(body);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`Malformed Vumi message: ${reason}`);
    expect(error.bodyPreview).toBe(body.slice(0, 200));
  });

  it('refuses a body above maxBytes before parsing it, with a short preview', () => {
    const huge = encodeMessage({ message_id: 'a', content: 'x'.repeat(5000) });
    const error = refusal(huge, 4096);
    expect(error.reason).toBe(`body of ${huge.length} bytes exceeds 4096`);
    expect(error.bodyPreview.length).toBe(200);
    expect(decodeOutboundMessage(huge, huge.length).content).toHaveLength(5000);
  });

  it('keeps the preview of a multi-byte body short', () => {
    expect(refusal('ö'.repeat(5000)).bodyPreview).toBe('ö'.repeat(200));
  });
});

describe('missingFieldsReason', () => {
  it.each([
    [{ in_reply_to: null, content: 'x' }, 'Missing fields: in_reply_to'],
    [{ in_reply_to: 'a', content: null }, 'Missing fields: content'],
    [{ in_reply_to: null, content: null }, 'Missing fields: in_reply_to, content'],
    [{ in_reply_to: '', content: '' }, 'Missing fields: in_reply_to, content'],
    [{ content: 'x' }, 'Missing fields: in_reply_to'],
  ])('names the missing fields of %j exactly', (fields, reason) => {
    expect(missingFieldsReason(outbound(fields))).toBe(reason);
  });

  it('is null for a complete reply', () => {
    expect(missingFieldsReason(outbound({ in_reply_to: 'a', content: 'x' }))).toBeNull();
  });

  it('names fields of the wrong type before missing ones', () => {
    expect(missingFieldsReason(outbound({ in_reply_to: 5 }))).toBe('Invalid fields: in_reply_to');
  });
});

describe('decodeJsonObject', () => {
  it('refuses a body that is not a JSON object', () => {
    expect(() => decodeJsonObject(Buffer.from('[1]'))).toThrow(MalformedVumiMessageError);
    expect(() => decodeJsonObject(Buffer.from('nope'))).toThrow(SyntaxError);
  });
});
