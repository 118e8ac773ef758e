import fc from 'fast-check';
import { buildAck, buildInboundMessage, buildNack } from './vumi-builders';
import { encodeMessage } from './vumi-serializer';
import { eventJson, userMessageJson } from './vumi-serializer';
import { SessionEvent, UserMessage, VumiEvent } from './vumi-message';

/**
 * The compiled serializers against `JSON.stringify` of the same typed object:
 * byte for byte for what the builders make, and the same JSON value for any
 * object of the type (whatever its property order), for any strings: quotes,
 * backslashes, controls, non-ASCII, surrogate pairs and lone surrogates.
 */

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é'),
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\u0001', '\ud800', '\udc00', '€'), maxLength: 12 }),
);
const textOrNull = fc.option(anyText, { nil: null });
const metadata = fc.oneof(
  fc.constant({}),
  fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  anyText.map((instance_id) => ({ http_api: { instance_id } })),
  // Near the one shape the serializer keeps a text for: each must still be written as it is.
  anyText.map((instance_id) => ({ http_api: { instance_id, other: 1 } })),
  anyText.map((instance_id) => ({ http_api: { instance_id }, other: instance_id })),
  anyText.map((instance_id) => ({ other: instance_id, http_api: { instance_id } })),
  fc.constantFrom({ http_api: { instance_id: 7 } }, { http_api: 'x' }, { http_api: null }, { http_api: [] }, { http_api: {} }),
);
const sessionEvent = fc.constantFrom<SessionEvent | null>(null, 'new', 'resume', 'close');

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('compiled serializers (property-based)', () => {
  it('encode the inbound message buildInboundMessage makes exactly as JSON.stringify does', () => {
    const fields = fc.record({
      to_addr: anyText,
      from_addr: anyText,
      content: textOrNull,
      group: textOrNull,
      session_event: sessionEvent,
    });
    fc.assert(
      fc.property(fields, anyText, anyText, fc.option(metadata, { nil: undefined }), (f, transportName, instanceId, helper) => {
        const message = buildInboundMessage(f, { transportName, instanceId, helperMetadata: helper });
        expect(Buffer.from(userMessageJson(message)).equals(bytesOf(message))).toBe(true);
        expect(Buffer.from(userMessageJson(message)).equals(encodeMessage(message))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('encode any UserMessage to the same JSON value as JSON.stringify, whatever its property order', () => {
    const message = fc.record<UserMessage>({
      message_version: anyText,
      message_type: fc.constant('user_message'),
      timestamp: anyText,
      message_id: anyText,
      to_addr: textOrNull,
      from_addr: textOrNull,
      content: textOrNull,
      group: textOrNull,
      session_event: sessionEvent,
      in_reply_to: textOrNull,
      provider: textOrNull,
      transport_name: textOrNull,
      transport_type: textOrNull,
      transport_metadata: metadata,
      helper_metadata: metadata,
      routing_metadata: metadata,
      to_addr_type: textOrNull,
      from_addr_type: textOrNull,
    });
    fc.assert(
      fc.property(message, (m) => {
        const encoded = userMessageJson(m);
        expect(JSON.parse(encoded)).toEqual(JSON.parse(JSON.stringify(m)));
        // The same text, not only the same value, once the keys are in the wire order.
        expect(encoded).toBe(JSON.stringify(JSON.parse(encoded)));
      }),
      { numRuns: 2000 },
    );
  });

  it('encode the ack and the nack buildAck/buildNack make exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (messageId, reason, transportName) => {
        const ack = buildAck(messageId, transportName);
        const nack = buildNack(messageId, reason, transportName);
        expect(Buffer.from(eventJson(ack)).equals(bytesOf(ack))).toBe(true);
        expect(Buffer.from(eventJson(nack)).equals(bytesOf(nack))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('encode any VumiEvent to the same JSON value as JSON.stringify', () => {
    const event = fc.record<VumiEvent>(
      {
        message_version: anyText,
        message_type: fc.constant('event'),
        timestamp: anyText,
        event_id: anyText,
        event_type: fc.constantFrom('ack', 'nack', 'delivery_report'),
        user_message_id: anyText,
        sent_message_id: textOrNull,
        transport_name: anyText,
        transport_metadata: metadata,
        helper_metadata: metadata,
        routing_metadata: metadata,
        nack_reason: anyText,
      },
      {
        requiredKeys: [
          'message_version',
          'message_type',
          'timestamp',
          'event_id',
          'event_type',
          'user_message_id',
          'sent_message_id',
          'transport_name',
          'transport_metadata',
          'helper_metadata',
          'routing_metadata',
        ],
      },
    );
    fc.assert(
      fc.property(event, (e) => {
        expect(JSON.parse(eventJson(e))).toEqual(JSON.parse(JSON.stringify(e)));
      }),
      { numRuns: 2000 },
    );
  });

  it('write a lone surrogate escaped, as JSON.stringify does, so Python reads it back', () => {
    const ack = buildNack('m', 'bad \ud800 text', 't');
    expect(eventJson(ack)).toContain('"bad \\ud800 text"');
  });
});
