import { MESSAGE_VERSION, TRANSPORT_TYPE, JsonObject, StatusMessage, TRANSPORT_METADATA_KEY, UserMessage, VumiEvent } from './vumi-message';

/**
 * Turns Vumi messages into bytes: `encodeMessage` for any message, and
 * compiled serializers for the two messages published per request: the
 * inbound user message and the ack/nack event. The field order is fixed (the
 * order of the typed object, so the bytes are those of `JSON.stringify` of
 * it), the keys and the constant values are pre-encoded, and only the other
 * string values are escaped: no walk over the object's keys, no per-key
 * escaping. `vumi-serializer.property.spec.ts` holds them byte for byte to
 * `JSON.stringify` of the same object.
 *
 * Anything of another shape goes through `encodeMessage` (`JSON.stringify`).
 */

/** Any message as UTF-8 JSON (`JSON.stringify`): status events, replies built by applications, tests. */
export function encodeMessage(message: UserMessage | VumiEvent | StatusMessage | JsonObject): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** A string `JSON.stringify` writes as itself between quotes: no `"`, `\`, C0 control or surrogate. */
function isPlain(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** A JSON string: ids, timestamps, addresses and plain text need no escaping; the rest (and any surrogate) takes the slow path. */
function str(value: string): string {
  return isPlain(value) ? `"${value}"` : JSON.stringify(value);
}

function strOrNull(value: string | null): string {
  return value === null ? 'null' : str(value);
}

/** Metadata objects: often `{}`, else whatever `JSON.stringify` says. */
function obj(value: JsonObject): string {
  for (const key in value) if (Object.hasOwn(value, key)) return JSON.stringify(value);
  return '{}';
}

/**
 * The inbound message's transport_metadata is `{"http_api":{"instance_id":<this instance>}}`
 * (buildInboundMessage): one shape, one value per service, so its text is kept once made. Any
 * other shape or extra key goes through `obj`.
 */
let lastInstanceId: string | undefined;
let lastTransportMetadata = '';
function transportMetadata(value: JsonObject): string {
  const inner = value[TRANSPORT_METADATA_KEY];
  if (
    inner === null ||
    typeof inner !== 'object' ||
    Array.isArray(inner) ||
    !onlyKey(value, TRANSPORT_METADATA_KEY) ||
    !onlyKey(inner, 'instance_id')
  ) {
    return obj(value);
  }
  const id = (inner as JsonObject).instance_id;
  if (typeof id !== 'string') return obj(value);
  if (id !== lastInstanceId) {
    lastTransportMetadata = JSON.stringify(value);
    lastInstanceId = id;
  }
  return lastTransportMetadata;
}

/** Whether `key` is the one own enumerable key of `value` (no allocation, unlike Object.keys). */
function onlyKey(value: object, key: string): boolean {
  let count = 0;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    if (k !== key || ++count > 1) return false;
  }
  return count === 1;
}

/** The constant values, encoded once; a value that is not the constant is escaped as usual. */
const VERSION = JSON.stringify(MESSAGE_VERSION);
const HTTP_API = JSON.stringify(TRANSPORT_TYPE);

function version(value: string): string {
  return value === MESSAGE_VERSION ? VERSION : str(value);
}

/** The last transport name seen, encoded (one per service). */
let lastName = '';
let lastNameJson = '""';
function transportName(value: string): string {
  if (value !== lastName) {
    lastNameJson = str(value);
    lastName = value;
  }
  return lastNameJson;
}

/** The inbound message's JSON text; the publisher writes it straight into its frame (no Buffer of its own). */
export function userMessageJson(m: UserMessage): string {
  const json =
    `{"message_version":${version(m.message_version)},"message_type":${str(m.message_type)}` +
    `,"timestamp":${str(m.timestamp)},"message_id":${str(m.message_id)}` +
    `,"to_addr":${strOrNull(m.to_addr)},"from_addr":${strOrNull(m.from_addr)}` +
    `,"content":${strOrNull(m.content)},"group":${strOrNull(m.group)}` +
    `,"session_event":${strOrNull(m.session_event)},"in_reply_to":${strOrNull(m.in_reply_to)}` +
    `,"provider":${strOrNull(m.provider)}` +
    `,"transport_name":${m.transport_name === null ? 'null' : transportName(m.transport_name)}` +
    `,"transport_type":${m.transport_type === TRANSPORT_TYPE ? HTTP_API : strOrNull(m.transport_type)}` +
    `,"transport_metadata":${transportMetadata(m.transport_metadata)}` +
    `,"helper_metadata":${obj(m.helper_metadata)},"routing_metadata":${obj(m.routing_metadata)}` +
    `,"to_addr_type":${strOrNull(m.to_addr_type)},"from_addr_type":${strOrNull(m.from_addr_type)}}`;
  return json;
}

/**
 * The field order of `buildAck`/`buildNack`: the common event fields, then
 * `event_type`, `sent_message_id` and, for a nack, `nack_reason` (absent, not
 * null, on an ack, as `JSON.stringify` leaves an undefined property out).
 */
export function eventJson(e: VumiEvent): string {
  const json =
    `{"message_version":${version(e.message_version)},"message_type":${str(e.message_type)}` +
    `,"timestamp":${str(e.timestamp)},"event_id":${str(e.event_id)}` +
    `,"user_message_id":${str(e.user_message_id)},"transport_name":${transportName(e.transport_name)}` +
    `,"transport_metadata":${obj(e.transport_metadata)},"helper_metadata":${obj(e.helper_metadata)}` +
    `,"routing_metadata":${obj(e.routing_metadata)},"event_type":${str(e.event_type)}` +
    `,"sent_message_id":${strOrNull(e.sent_message_id)}` +
    (e.nack_reason === undefined ? '}' : `,"nack_reason":${str(e.nack_reason)}}`);
  return json;
}
