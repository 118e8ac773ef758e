import { MalformedVumiMessageError } from './vumi-decoder';
import { JsonObject, MESSAGE_VERSION } from './vumi-message';
import { newVumiId } from './vumi-ids';
import { formatVumiTimestamp } from './vumi-timestamp';

/**
 * The application's side of the wire, which the transport itself never plays:
 * reading any Vumi message and building the reply `msg.reply(content)` sends.
 * For the demo echo application and the tests' Vumi peers; the transport's
 * own decoder (vumi-decoder.ts) decodes only what it consumes, as untrusted input.
 */

const PREVIEW_CHARS = 200;

/** Decodes any Vumi message (tests, the demo application). */
export function decodeJsonObject(body: Buffer): JsonObject {
  const raw: unknown = JSON.parse(body.toString('utf8'));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MalformedVumiMessageError(
      'not_an_object',
      'body is not a JSON object',
      body
        .subarray(0, PREVIEW_CHARS * 4)
        .toString('utf8')
        .slice(0, PREVIEW_CHARS),
    );
  }
  return raw as JsonObject;
}

/** Builds the reply a Vumi application's `msg.reply(content)` sends. */
export function buildReply(inbound: JsonObject, content: string, options: { continueSession?: boolean } = {}): JsonObject {
  return {
    message_version: MESSAGE_VERSION,
    message_type: 'user_message',
    timestamp: formatVumiTimestamp(),
    message_id: newVumiId(),
    to_addr: inbound.from_addr ?? null,
    from_addr: inbound.to_addr ?? null,
    content,
    group: inbound.group ?? null,
    // Vumi's reply(): no session event while the session continues.
    session_event: options.continueSession === false ? 'close' : null,
    in_reply_to: inbound.message_id ?? null,
    provider: inbound.provider ?? null,
    transport_name: inbound.transport_name ?? null,
    transport_type: inbound.transport_type ?? null,
    transport_metadata: inbound.transport_metadata ?? {},
    helper_metadata: inbound.helper_metadata ?? {},
    routing_metadata: { endpoint_name: 'default' },
    to_addr_type: inbound.from_addr_type ?? null,
    from_addr_type: inbound.to_addr_type ?? null,
  };
}
