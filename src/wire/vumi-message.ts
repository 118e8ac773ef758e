// Owns: the Vumi wire format, pure TypeScript: message shapes (here), ids, timestamps, codec, routing keys.
// May import: nothing of the app and no framework (rules vumi-is-pure, vumi-no-frameworks in .dependency-cruiser.cjs).
/**
 * The Vumi message shapes this transport speaks (the golden fixtures in
 * __fixtures__/ pin them). Every field is always present on the wire, `null`
 * where it has no value, because Vumi's Python `Message` classes read them
 * with `msg['field']`.
 */

export const MESSAGE_VERSION = '20110921';
export const TRANSPORT_TYPE = 'http_api';

/** Where this service records which instance holds the HTTP request (scale-out): `transport_metadata.http_api`. */
export const TRANSPORT_METADATA_KEY = 'http_api';

export type SessionEvent = 'new' | 'resume' | 'close';
export const SESSION_EVENTS: readonly SessionEvent[] = ['new', 'resume', 'close'];

export type JsonObject = { [key: string]: unknown };

export interface UserMessage {
  message_version: string;
  message_type: 'user_message';
  timestamp: string;
  message_id: string;
  to_addr: string | null;
  from_addr: string | null;
  content: string | null;
  group: string | null;
  session_event: SessionEvent | null;
  in_reply_to: string | null;
  provider: string | null;
  transport_name: string | null;
  transport_type: string | null;
  transport_metadata: JsonObject;
  helper_metadata: JsonObject;
  routing_metadata: JsonObject;
  to_addr_type: string | null;
  from_addr_type: string | null;
}

export type EventType = 'ack' | 'nack' | 'delivery_report';

export interface VumiEvent {
  message_version: string;
  message_type: 'event';
  timestamp: string;
  event_id: string;
  event_type: EventType;
  user_message_id: string;
  sent_message_id: string | null;
  transport_name: string;
  transport_metadata: JsonObject;
  helper_metadata: JsonObject;
  routing_metadata: JsonObject;
  nack_reason?: string;
}

export type ComponentStatus = 'ok' | 'degraded' | 'down';

export interface StatusMessage {
  message_version: string;
  message_type: 'status_event';
  timestamp: string;
  component: string;
  status: ComponentStatus;
  type: string;
  message: string;
  reasons: string[];
  details: JsonObject;
  helper_metadata: JsonObject;
  routing_metadata: JsonObject;
}

/** The fields an HTTP caller may set on an inbound message. */
export interface InboundFields {
  to_addr: string;
  from_addr: string;
  content: string | null;
  group: string | null;
  session_event: SessionEvent | null;
}
