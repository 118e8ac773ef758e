import { JsonObject, TRANSPORT_METADATA_KEY } from './vumi-message';
import { isWellFormedText } from './well-formed-text';

/**
 * Reads what the transport consumes from `<transport>.outbound`, as untrusted
 * input: decodes and validates a reply, says why it cannot be answered
 * (MalformedVumiMessageError: dropped) or what Vumi nacks it with.
 */

/** Why an outbound message cannot be answered at all, as a code (a metric label: a small fixed set). */
export type MalformedVumiMessageCode = 'too_large' | 'not_json' | 'not_an_object' | 'no_message_id' | 'not_a_user_message';

export class MalformedVumiMessageError extends Error {
  constructor(
    readonly code: MalformedVumiMessageCode,
    readonly reason: string,
    readonly bodyPreview: string,
  ) {
    super(`Malformed Vumi message: ${reason}`);
    this.name = 'MalformedVumiMessageError';
  }
}

/** What the transport needs from a message taken off `<transport>.outbound`. */
export interface OutboundMessage {
  message_id: string;
  /** `null` when absent, null or empty (Vumi counts all three as missing). */
  in_reply_to: string | null;
  content: string | null;
  /** The instance that holds the request, from `transport_metadata.http_api.instance_id`. */
  holder_instance_id: string | null;
  /** Fields present but of the wrong JSON type (or not Unicode), to nack with a clear reason. */
  invalid_fields: string[];
  raw: JsonObject;
}

const PREVIEW_CHARS = 200;

/**
 * The longest id (`message_id`, `in_reply_to`, the holder's instance id) an
 * outbound message may carry. Vumi's own ids are 32 hex digits (a UUID4), a
 * dashed UUID is 36, and 255 is AMQP's short-string limit (a routing key):
 * past it an id is no id any application means, only a way to copy a megabyte
 * into every log line and nack event about the message (issue 21). A longer
 * `message_id` makes the message malformed (dropped, counted); a longer
 * `in_reply_to` is an invalid field (nacked); a longer holder is ignored.
 */
export const MAX_ID_CHARS = 255;

function preview(body: Buffer): string {
  return body
    .subarray(0, PREVIEW_CHARS * 4)
    .toString('utf8')
    .slice(0, PREVIEW_CHARS);
}

function optionalString(raw: JsonObject, field: string, invalid: string[]): string | null {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return null;
  // A lone surrogate cannot be written to the HTTP caller as UTF-8: nacked, like a wrong type.
  if (typeof value !== 'string' || !isWellFormedText(value) || (field === 'in_reply_to' && value.length > MAX_ID_CHARS)) {
    invalid.push(field);
    return null;
  }
  return value;
}

function holderInstanceId(raw: JsonObject): string | null {
  const metadata = raw.transport_metadata;
  if (!isObject(metadata)) return null;
  const own = metadata[TRANSPORT_METADATA_KEY];
  if (!isObject(own)) return null;
  const id = own.instance_id;
  return typeof id === 'string' && id !== '' && id.length <= MAX_ID_CHARS ? id : null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes an outbound message as untrusted input. Throws
 * MalformedVumiMessageError when it cannot be answered with a nack at all
 * (no JSON object, no message id); wrong-typed optional fields are reported
 * in `invalid_fields` so that the sender gets a nack.
 */
export function decodeOutboundMessage(body: Buffer, maxBytes: number): OutboundMessage {
  if (body.length > maxBytes) {
    throw new MalformedVumiMessageError('too_large', `body of ${body.length} bytes exceeds ${maxBytes}`, preview(body));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedVumiMessageError('not_json', 'body is not JSON', preview(body));
  }
  if (!isObject(raw)) {
    throw new MalformedVumiMessageError('not_an_object', 'body is not a JSON object', preview(body));
  }
  if (typeof raw.message_id !== 'string' || raw.message_id === '') {
    throw new MalformedVumiMessageError('no_message_id', 'message_id is missing or not a string', preview(body));
  }
  if (raw.message_id.length > MAX_ID_CHARS) {
    // Counted as no message id: there is none a nack could name without copying it.
    throw new MalformedVumiMessageError('no_message_id', `message_id is longer than ${MAX_ID_CHARS} characters`, preview(body));
  }
  if (raw.message_type !== undefined && raw.message_type !== 'user_message') {
    throw new MalformedVumiMessageError(
      'not_a_user_message',
      `message_type is ${JSON.stringify(raw.message_type)?.slice(0, 64)}`,
      preview(body),
    );
  }
  const invalid: string[] = [];
  const in_reply_to = optionalString(raw, 'in_reply_to', invalid);
  const content = optionalString(raw, 'content', invalid);
  return {
    message_id: raw.message_id,
    in_reply_to,
    content,
    holder_instance_id: holderInstanceId(raw),
    invalid_fields: invalid,
    raw,
  };
}

/** Vumi's nack reason for a reply it cannot send, or null when the reply is complete. */
export function missingFieldsReason(message: OutboundMessage): string | null {
  if (message.invalid_fields.length > 0) {
    return `Invalid fields: ${message.invalid_fields.join(', ')}`;
  }
  const missing: string[] = [];
  if (message.in_reply_to === null) missing.push('in_reply_to');
  if (message.content === null) missing.push('content');
  return missing.length > 0 ? `Missing fields: ${missing.join(', ')}` : null;
}

export const NO_MATCHING_REQUEST = 'No matching request';
export const REPLIES_NOT_EXPECTED = 'Replies are not expected: reply_expected is off';
