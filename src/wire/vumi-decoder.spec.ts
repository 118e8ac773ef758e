import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_ID_CHARS, decodeOutboundMessage, MalformedVumiMessageError, missingFieldsReason, OutboundMessage } from './vumi-decoder';
import { encodeMessage } from './vumi-serializer';
import { decodeJsonObject } from './vumi-application';
import { JsonObject } from './vumi-message';

/** A golden JSON fixture: the exact shapes Vumi workers send and parse (src/wire/__fixtures__). */
function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(join(__dirname, '__fixtures__', `${name}.json`), 'utf8')) as JsonObject;
}

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

  it('caps ids at MAX_ID_CHARS (255): a longer message_id is malformed, a longer in_reply_to invalid, a longer holder none', () => {
    const long = 'm'.repeat(MAX_ID_CHARS + 1);
    expect(outbound({ message_id: 'm'.repeat(MAX_ID_CHARS) }).message_id).toHaveLength(MAX_ID_CHARS);
    const error = refusal(JSON.stringify({ message_id: 'm'.repeat(1_000_000), in_reply_to: 'a', content: 'b' }), 2_000_000);
    expect(error).toMatchObject({ code: 'no_message_id', reason: 'message_id is longer than 255 characters' });
    expect(error.bodyPreview).toHaveLength(200);
    const invalid = outbound({ in_reply_to: long, content: 'b' });
    expect(invalid.in_reply_to).toBeNull();
    expect(missingFieldsReason(invalid)).toBe('Invalid fields: in_reply_to');
    expect(outbound({ transport_metadata: { http_api: { instance_id: long } } }).holder_instance_id).toBeNull();
  });

  it('cuts a long message_type in the reason', () => {
    expect(refusal(JSON.stringify({ message_id: 'a', message_type: 't'.repeat(100_000) })).reason.length).toBeLessThan(100);
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
