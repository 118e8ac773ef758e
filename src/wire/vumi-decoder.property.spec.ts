import fc from 'fast-check';
import { buildInboundMessage } from './vumi-builders';
import { decodeOutboundMessage, MalformedVumiMessageError, missingFieldsReason, OutboundMessage } from './vumi-decoder';
import { encodeMessage } from './vumi-serializer';
import { buildReply } from './vumi-application';
import { JsonObject } from './vumi-message';

/**
 * Property tests of the outbound parser, which reads whatever an application
 * (or anything else with access to the broker) puts on `<transport>.outbound`:
 * it returns a well-typed OutboundMessage or throws MalformedVumiMessageError
 * (ack and drop), never anything else (which would requeue the message).
 */

const MAX_BYTES = 4096;

const fieldValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(null, '', 0, 5, true, [], {}, ['x'], { nested: 'x' }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Objects shaped like a Vumi message, with each field present, absent or of any JSON type. */
const messageLike = fc.record(
  {
    message_id: fieldValue,
    message_type: fc.oneof(fc.constant('user_message'), fieldValue),
    in_reply_to: fieldValue,
    content: fieldValue,
    to_addr: fieldValue,
    transport_metadata: fc.oneof(fieldValue, fc.record({ http_api: fc.oneof(fieldValue, fc.record({ instance_id: fieldValue })) })),
  },
  { requiredKeys: [] },
);

const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8')),
  messageLike.map((value) => Buffer.from(JSON.stringify(value), 'utf8')),
  fc
    .string({ minLength: MAX_BYTES - 50, maxLength: MAX_BYTES + 50 })
    .map((text) => Buffer.from(JSON.stringify({ message_id: 'm', in_reply_to: 'r', content: text }), 'utf8')),
);

const stringOrNull = (value: unknown) => value === null || (typeof value === 'string' && value !== '');

function expectWellTyped(message: OutboundMessage): void {
  expect(typeof message.message_id).toBe('string');
  expect(message.message_id).not.toBe('');
  expect(stringOrNull(message.in_reply_to)).toBe(true);
  expect(stringOrNull(message.content)).toBe(true);
  expect(stringOrNull(message.holder_instance_id)).toBe(true);
  expect(Array.isArray(message.invalid_fields)).toBe(true);
  for (const field of message.invalid_fields) expect(['in_reply_to', 'content']).toContain(field);
  expect(typeof message.raw).toBe('object');
  // Whatever came in, the transport can always say what to do with it.
  const reason = missingFieldsReason(message);
  expect(reason === null || typeof reason === 'string').toBe(true);
  if (reason === null) expect(message.in_reply_to !== null && message.content !== null).toBe(true);
}

describe('outbound message parser (property-based)', () => {
  it('decodes any bytes to a well-typed message or throws MalformedVumiMessageError, nothing else', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        try {
          expectWellTyped(decodeOutboundMessage(body, MAX_BYTES));
        } catch (error) {
          if (!(error instanceof MalformedVumiMessageError)) throw error;
          expect(typeof error.reason).toBe('string');
          expect(error.bodyPreview.length).toBeLessThanOrEqual(200);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses every body over the size limit before parsing it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (over) => {
        const body = Buffer.alloc(MAX_BYTES + over, 0x20);
        expect(() => decodeOutboundMessage(body, MAX_BYTES)).toThrow(MalformedVumiMessageError);
      }),
    );
  });

  it('reads back the content and in_reply_to of any reply a Vumi application builds', () => {
    const inboundFields = fc.record({
      to_addr: fc.string({ unit: 'grapheme', maxLength: 20 }),
      from_addr: fc.string({ unit: 'grapheme', maxLength: 20 }),
      content: fc.option(fc.string({ unit: 'grapheme', maxLength: 50 })),
      group: fc.option(fc.string({ maxLength: 10 })),
      session_event: fc.constantFrom(null, 'new' as const, 'resume' as const, 'close' as const),
    });
    fc.assert(
      fc.property(inboundFields, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), (fields, content) => {
        const inbound = buildInboundMessage(fields, { transportName: 't', instanceId: 'instance-1' });
        const reply = buildReply(JSON.parse(encodeMessage(inbound).toString('utf8')) as JsonObject, content);
        const decoded = decodeOutboundMessage(encodeMessage(reply), 1024 * 1024);
        expect(decoded).toMatchObject({
          message_id: reply.message_id,
          in_reply_to: inbound.message_id,
          content,
          holder_instance_id: 'instance-1',
          invalid_fields: [],
        });
        expect(missingFieldsReason(decoded)).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});
