import { CompleteReply } from './reply-answer';
import { decodeOutboundMessage, missingFieldsReason } from './vumi-decoder';
import { JsonObject } from './vumi-message';

/** For specs: a reply to `inReplyTo` as the decoder makes it, with any other fields of the message. */
export function completeReply(inReplyTo: string, content: string, fields: JsonObject = {}): CompleteReply {
  const message = decodeOutboundMessage(
    Buffer.from(JSON.stringify({ message_id: 'f'.repeat(32), in_reply_to: inReplyTo, content, ...fields })),
    1 << 20,
  );
  const missing = missingFieldsReason(message);
  if (missing) throw new Error(missing);
  return message as CompleteReply;
}
