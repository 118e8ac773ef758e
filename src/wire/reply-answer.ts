import { OutboundMessage } from './vumi-decoder';
import { JsonObject, SESSION_EVENTS, SessionEvent } from './vumi-message';

/**
 * A reply that answers a held request: an OutboundMessage that missingFieldsReason passed, so its
 * `in_reply_to` and `content` are strings (well-formed Unicode, ids within MAX_ID_CHARS).
 */
export type CompleteReply = OutboundMessage & { readonly in_reply_to: string; readonly content: string };

/**
 * The JSON answer to a held request whose caller prefers `application/json` (docs/api.md, "Replies
 * as JSON"): the reply's own fields under Vumi's names, in the order of the inbound message.
 *
 * The set: what a caller running a session over HTTP needs to act on the reply and nothing of the
 * transport's plumbing. `message_id`/`in_reply_to` tie it to the application's message and to the
 * caller's own request; `content` is what Vumi's text answer carries; `session_event` says whether
 * the application closed the session or waits for more; `helper_metadata` is what applications
 * pass along beside a message. The addresses are in because the application chooses them: a reply
 * may come from another address than the one the request went to (a service code, a short code),
 * and a gateway relaying the answer to a handset learns from `to_addr` whom it is for without
 * keeping its own map. Left out: `group` (copied from the request by Vumi's `reply()`), the
 * transport's fields (`transport_*`, `routing_metadata`, `provider`, `*_addr_type`) and the
 * envelope (`message_version`, `message_type`, `timestamp`).
 */
export interface ReplyAnswer {
  message_id: string;
  to_addr: string | null;
  from_addr: string | null;
  content: string;
  session_event: SessionEvent | null;
  in_reply_to: string;
  helper_metadata: JsonObject;
}

/**
 * The fields of the answer, each of its documented type: the application's message is untrusted
 * input, so an address that is not a string and a `session_event` that is not one of Vumi's three
 * are `null`, and `helper_metadata` that is not an object is `{}`.
 */
export function replyAnswerOf(reply: CompleteReply): ReplyAnswer {
  const raw = reply.raw;
  return {
    message_id: reply.message_id,
    to_addr: stringOrNull(raw.to_addr),
    from_addr: stringOrNull(raw.from_addr),
    content: reply.content,
    session_event: sessionEventOf(raw.session_event),
    in_reply_to: reply.in_reply_to,
    helper_metadata: isObject(raw.helper_metadata) ? raw.helper_metadata : {},
  };
}

/**
 * The answer's JSON text. `JSON.stringify` escapes whatever a string holds: quotes, backslashes,
 * controls, and a lone surrogate in an address or in helper_metadata (content and ids carry none:
 * the decoder nacks those) as `\udXXX`, so the text is always valid JSON in valid UTF-8.
 */
export function replyAnswerJson(reply: CompleteReply): string {
  return JSON.stringify(replyAnswerOf(reply));
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function sessionEventOf(value: unknown): SessionEvent | null {
  return SESSION_EVENTS.includes(value as SessionEvent) ? (value as SessionEvent) : null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
