import {
  ComponentStatus,
  InboundFields,
  JsonObject,
  MESSAGE_VERSION,
  StatusMessage,
  TRANSPORT_METADATA_KEY,
  TRANSPORT_TYPE,
  UserMessage,
  VumiEvent,
} from './vumi-message';
import { newVumiId } from './vumi-ids';
import { formatVumiTimestamp } from './vumi-timestamp';

/**
 * Builds the messages the transport publishes: the inbound user message, the
 * ack and nack events, the status event, each with every field of Vumi's
 * shape in the wire order. They become bytes in vumi-serializer.ts.
 */

export interface InboundMessageOptions {
  transportName: string;
  instanceId: string;
  /** Beyond Vumi: who sent it (multi-caller auth), kept out of content fields. */
  helperMetadata?: JsonObject;
  messageId?: string;
}

export function buildInboundMessage(fields: InboundFields, options: InboundMessageOptions): UserMessage {
  return {
    message_version: MESSAGE_VERSION,
    message_type: 'user_message',
    timestamp: formatVumiTimestamp(),
    message_id: options.messageId ?? newVumiId(),
    to_addr: fields.to_addr,
    from_addr: fields.from_addr,
    content: fields.content,
    group: fields.group,
    session_event: fields.session_event,
    in_reply_to: null,
    provider: null,
    transport_name: options.transportName,
    transport_type: TRANSPORT_TYPE,
    transport_metadata: { [TRANSPORT_METADATA_KEY]: { instance_id: options.instanceId } },
    helper_metadata: options.helperMetadata ?? {},
    routing_metadata: {},
    to_addr_type: null,
    from_addr_type: null,
  };
}

/**
 * The ack and the nack as whole literals, one shape each (no spread of a common
 * base: the spread object reads about twice as slowly, in the serializer and in
 * `JSON.stringify`). The field order is the wire order (vumi-serializer.ts).
 */
export function buildAck(outboundMessageId: string, transportName: string): VumiEvent {
  return {
    message_version: MESSAGE_VERSION,
    message_type: 'event',
    timestamp: formatVumiTimestamp(),
    event_id: newVumiId(),
    user_message_id: outboundMessageId,
    transport_name: transportName,
    transport_metadata: {},
    helper_metadata: {},
    routing_metadata: {},
    event_type: 'ack',
    sent_message_id: outboundMessageId,
  };
}

/**
 * Vumi's `reject_message`: `user_message_id` and `sent_message_id` are both the
 * outbound message's id (Vumi's `test_nack` asserts it; vumi2 does the same).
 */
export function buildNack(outboundMessageId: string, reason: string, transportName: string): VumiEvent {
  return {
    message_version: MESSAGE_VERSION,
    message_type: 'event',
    timestamp: formatVumiTimestamp(),
    event_id: newVumiId(),
    user_message_id: outboundMessageId,
    transport_name: transportName,
    transport_metadata: {},
    helper_metadata: {},
    routing_metadata: {},
    event_type: 'nack',
    sent_message_id: outboundMessageId,
    nack_reason: reason,
  };
}

export interface StatusFields {
  component: string;
  status: ComponentStatus;
  type: string;
  message: string;
  reasons?: string[];
  details?: JsonObject;
}

export function buildStatus(fields: StatusFields): StatusMessage {
  return {
    message_version: MESSAGE_VERSION,
    message_type: 'status_event',
    timestamp: formatVumiTimestamp(),
    component: fields.component,
    status: fields.status,
    type: fields.type,
    message: fields.message,
    reasons: fields.reasons ?? [],
    details: fields.details ?? {},
    helper_metadata: {},
    routing_metadata: {},
  };
}
