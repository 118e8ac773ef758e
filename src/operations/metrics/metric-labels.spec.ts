import {
  decodeOutboundMessage,
  MalformedVumiMessageError,
  missingFieldsReason,
  NO_MATCHING_REQUEST,
  REPLIES_NOT_EXPECTED,
} from '../../wire/vumi-decoder';
import { buildReply } from '../../wire/vumi-application';
import { methodLabel, nackReasonLabel } from './metric-labels';

/** The code the decoder gives for refusing `body` (the malformed metric's reason label). */
function refusal(body: string | Buffer, maxBytes = 1024): string {
  try {
    decodeOutboundMessage(Buffer.from(body), maxBytes);
  } catch (error) {
    if (error instanceof MalformedVumiMessageError) return error.code;
    throw error;
  }
  throw new Error(`decoded: ${body.toString()}`);
}

describe('metric labels', () => {
  it('keeps methods to a fixed set', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('HEAD')).toBe('HEAD');
    expect(methodLabel('BREW')).toBe('other');
    expect(methodLabel(undefined)).toBe('other');
  });

  it('maps every nack reason the decoder gives, without the field names', () => {
    const reply = buildReply({ message_id: 'a'.repeat(32), to_addr: '1', from_addr: '2' }, 'hi');
    const invalid = decodeOutboundMessage(Buffer.from(JSON.stringify({ ...reply, content: 5 })), 1024);
    const missing = decodeOutboundMessage(Buffer.from(JSON.stringify({ ...reply, in_reply_to: null })), 1024);
    expect(nackReasonLabel(NO_MATCHING_REQUEST)).toBe('no_matching_request');
    expect(nackReasonLabel(REPLIES_NOT_EXPECTED)).toBe('replies_not_expected');
    expect(nackReasonLabel(missingFieldsReason(invalid) ?? '')).toBe('invalid_fields');
    expect(nackReasonLabel(missingFieldsReason(missing) ?? '')).toBe('missing_fields');
    expect(nackReasonLabel('something new')).toBe('other');
    expect(nackReasonLabel(undefined)).toBe('other');
  });

  it('gives every refusal of the decoder its code, the label itself', () => {
    expect(refusal('x'.repeat(2000))).toBe('too_large');
    expect(refusal('not json')).toBe('not_json');
    expect(refusal('[1]')).toBe('not_an_object');
    expect(refusal('{"content": "x"}')).toBe('no_message_id');
    expect(refusal('{"message_id": "a", "message_type": "event"}')).toBe('not_a_user_message');
  });
});
