import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { MessagePublisher } from '../../broker/message-publisher';
import { PendingRequestsService } from '../pending-requests/pending-requests.service';
import { buildAck, buildNack } from '../../wire/vumi-builders';
import { missingFieldsReason, NO_MATCHING_REQUEST, OutboundMessage, REPLIES_NOT_EXPECTED } from '../../wire/vumi-decoder';
import { eventJson } from '../../wire/vumi-serializer';
import { CompleteReply } from '../../wire/reply-answer';
import { routingKeysFor, VumiRoutingKeys } from '../../wire/vumi-topology';
import { FORWARDED_REPLY_MAX_TTL_MS } from '../../broker/amqp-topology';
import { suppressedNote, ThrottledLines } from '../../common/throttled-lines';

export type DispatchResult = 'replied' | 'forwarded' | 'nacked';

/** Replies answered lately, remembered for their redeliveries (see dispatch()); about 1 MB. */
const ANSWERED_REPLIES_KEPT = 10_000;
/** How far past ANSWERED_REPLIES_KEPT the map grows before its oldest entries go. */
const EVICTED_AT_ONCE = 1_000;

/** The ids on every log line about an outbound message. */
function idsOf(message: OutboundMessage): { message_id: string; in_reply_to: string | null } {
  return { message_id: message.message_id, in_reply_to: message.in_reply_to };
}

export interface DispatchListener {
  (result: DispatchResult, reason?: string): void;
}

/**
 * Delivers an application's reply to the HTTP request it answers, then
 * publishes the Vumi ack; or publishes a nack saying why it could not. A
 * reply held by another instance is forwarded to that instance's queue.
 */
@Injectable()
export class ReplyDispatcher {
  private readonly logger = new Logger('ReplyDispatcher');
  private readonly keys: VumiRoutingKeys;
  private readonly listeners: DispatchListener[] = [];
  /** Replies answered over HTTP lately: message_id to in_reply_to, oldest first. */
  private readonly answered = new Map<string, string>();
  /** A nack line per message, at most one per 10 s: 20,000 unmatched replies are not 20,000 lines. */
  private readonly nackLines = new ThrottledLines('outbound_nack');
  /** How long a forwarded reply may wait in its holder's queue before it comes back to be nacked. */
  private readonly forwardedReplyTtlMs: number;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly pending: PendingRequestsService,
    private readonly publisher: MessagePublisher,
  ) {
    this.keys = routingKeysFor(config.transportName);
    this.forwardedReplyTtlMs = Math.min(config.requestTimeoutMs, FORWARDED_REPLY_MAX_TTL_MS);
  }

  onDispatch(listener: DispatchListener): void {
    this.listeners.push(listener);
  }

  /** Each nack line left out by its throttle (a metric). */
  onSuppressedLine(listener: (kind: string) => void): void {
    this.nackLines.onSuppressed(listener);
  }

  /**
   * `travelled`: the message was forwarded once already (it came from this instance's own queue, or
   * back from an instance's queue where nobody took it in time), so it must not travel on.
   */
  async dispatch(message: OutboundMessage, body: Buffer, travelled: boolean): Promise<DispatchResult> {
    if (this.config.noisy) {
      this.logger.log({ msg: `Outbound message ${message.message_id}`, ...idsOf(message), body: message.raw });
    }
    if (!this.config.replyExpected) return this.nack(message, REPLIES_NOT_EXPECTED);
    const missing = missingFieldsReason(message);
    if (missing) return this.nack(message, missing);
    const reply = message as CompleteReply; // missingFieldsReason found in_reply_to and content
    const inReplyTo = reply.in_reply_to;
    if (this.pending.finishWithReply(reply) || this.answered.get(message.message_id) === inReplyTo) {
      // Answered. If the ack event or the AMQP ack after it fails (the broker went away), the
      // delivery comes back: its redelivery gets the ack again, not a "No matching request" nack
      // for a request that was answered.
      this.remember(message.message_id, inReplyTo);
      // The order the README promises, "the reply written, then an ack event", is this hand-off:
      // finishWithReply settles the held request's HandOff, whose listeners run before it returns,
      // and ApiResponder's writes the HTTP answer there. So the ack is published only after the
      // answer was written. (Only a reply that beats its message's own publish confirm finds no
      // listener yet: its answer is written once the confirm is in, after this ack.)
      await this.publishEvent(eventJson(buildAck(message.message_id, this.config.transportName)));
      return this.done('replied');
    }
    const holder = message.holder_instance_id;
    if (!travelled && holder !== null && holder !== this.config.instanceId) {
      // Not taken in time (the holder died, or is away), it comes back to the shared queue and is nacked.
      const outcome = await this.publisher.publishMandatory(this.keys.instanceOutbound(holder), body, this.forwardedReplyTtlMs);
      if (outcome === 'routed') {
        this.logger.debug({ msg: `Reply ${message.message_id} forwarded to instance ${holder}`, ...idsOf(message) });
        return this.done('forwarded');
      }
    }
    return this.nack(message, NO_MATCHING_REQUEST);
  }

  private async nack(message: OutboundMessage, reason: string): Promise<DispatchResult> {
    // The ids are at most MAX_ID_CHARS (the codec refuses longer ones): the line and the event stay small.
    this.nackLines.write((since) =>
      this.logger.warn({
        msg: `Nack for outbound message ${message.message_id}: ${reason}${suppressedNote(since, 'nacks')}`,
        ...idsOf(message),
        reason,
        suppressed: since,
      }),
    );
    await this.publishEvent(eventJson(buildNack(message.message_id, reason, this.config.transportName)));
    return this.done('nacked', reason);
  }

  private publishEvent(json: string): Promise<void> {
    return this.publisher.publish(this.keys.event, json, false);
  }

  /**
   * Bounded: the oldest entries go first (a redelivery comes within seconds of a reconnect), a
   * batch at a time, so that a full map costs one iterator per batch rather than one per reply.
   */
  private remember(messageId: string, inReplyTo: string): void {
    this.answered.delete(messageId);
    this.answered.set(messageId, inReplyTo);
    if (this.answered.size <= ANSWERED_REPLIES_KEPT + EVICTED_AT_ONCE) return;
    let evict = this.answered.size - ANSWERED_REPLIES_KEPT;
    for (const oldest of this.answered.keys()) {
      this.answered.delete(oldest);
      if (--evict === 0) break;
    }
  }

  private done(result: DispatchResult, reason?: string): DispatchResult {
    for (const listener of this.listeners) listener(result, reason);
    return result;
  }
}
