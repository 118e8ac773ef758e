import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAck, buildInboundMessage, buildNack, buildStatus } from './vumi-builders';
import { encodeMessage } from './vumi-serializer';
import { buildReply, decodeJsonObject } from './vumi-application';
import { newVumiId } from './vumi-ids';
import { JsonObject } from './vumi-message';

jest.mock('./vumi-ids', () => ({ ...jest.requireActual<typeof import('./vumi-ids')>('./vumi-ids'), newVumiId: jest.fn() }));
// 2026-11-27 10:27:54.123456 UTC: the fixtures' timestamp, with real microseconds.
jest.mock('./vumi-clock', () => ({ nowMicros: () => 1795775274123456 }));

/** A golden JSON fixture: the exact shapes Vumi workers send and parse (src/wire/__fixtures__). */
function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as JsonObject;
}

/** What a Vumi worker reads off the wire. */
const wire = (message: object) => JSON.parse(encodeMessage(message as JsonObject).toString('utf8')) as JsonObject;

const NOW = new Date('2026-11-27T10:27:54.123Z');

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
