import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { ReplyFormat, TransportConfig } from '../../config/transport-config';
import { MessagePublisher } from '../../broker/message-publisher';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { ClientWatch } from '../../reply-path/pending-requests/held-request';
import { HandOff } from '../../common/hand-off';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';
import { buildInboundMessage } from '../../wire/vumi-builders';
import { newVumiId } from '../../wire/vumi-ids';
import { userMessageJson } from '../../wire/vumi-serializer';
import { routingKeysFor } from '../../wire/vumi-topology';
import { InboundFieldsDto } from './inbound-fields.dto';
import { ServiceDrainingError, ServicePausedError } from './inbound.errors';
import { logsDebug } from '../../platform/logging/log-level';
import { HeldAnswer, HeldAnswers } from './held-answer';
import { InboundQueueMonitor } from '../../broker/inbound-queue-monitor';
import { ThrottledWarning } from '../../common/throttled-warning';

/**
 * Fire-and-forget: the message is confirmed. Reply mode: it is confirmed and its request held;
 * `answer` settles once, with the answer to the reply, the time-out, shutdown or the caller gone,
 * and hands it to its listeners at once (HandOff: inside the reply's dispatch, before its `ack`).
 */
export type InboundOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string }
  | { readonly kind: 'held'; readonly messageId: string; readonly answer: HandOff<HeldAnswer> };

/** Who sent the fields, as plain values (the HTTP layer reads them off its request). */
export interface InboundSender {
  /** The client's share of held slots (ClientIdentity.scopeOf); read only in reply mode. */
  readonly scope: string;
  /** Goes into the message's helper_metadata (the caller's name, callerHelperMetadata). */
  readonly helperMetadata?: Record<string, unknown>;
  /** Tells a held request its caller is gone. */
  readonly client?: ClientWatch;
  /** The HTTP request's id (RequestLog), for the log lines about its message. */
  readonly requestId?: string;
  /**
   * The representation the caller negotiated for a held request's answer (absent: `text`). Read
   * only in reply mode, once, when the request is held: a getter may work it out then.
   */
  readonly replyFormat?: ReplyFormat;
}

/**
 * Turns validated fields into an inbound user message and publishes it. In
 * reply mode the request is held first, so that even an instant reply finds it.
 */
@Injectable()
export class InboundMessageService {
  private readonly logger = new Logger('Inbound');
  private readonly routingKey: string;
  private readonly debugLines: boolean;
  private readonly noConsumerWarning = new ThrottledWarning();

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly publisher: MessagePublisher,
    private readonly pending: PendingRequestsService,
    private readonly lifecycle: LifecycleService,
    private readonly answers: HeldAnswers,
    private readonly inboundQueue: InboundQueueMonitor,
  ) {
    this.routingKey = routingKeysFor(config.transportName).inbound;
    this.debugLines = logsDebug(config);
  }

  /**
   * Once the broker confirmed, nothing here refers to the fields or the encoded message any more:
   * a held request keeps only its id, its `to_addr` (for the time-out log line) and its client watch.
   */
  async accept(fields: InboundFieldsDto, sender: InboundSender): Promise<InboundOutcome> {
    if (this.lifecycle.isDraining) throw new ServiceDrainingError();
    if (this.lifecycle.isPaused) throw new ServicePausedError();
    if (!this.config.replyExpected) {
      const { id, body } = this.build(fields, sender);
      await this.publisher.publish(this.routingKey, body, true, sender.requestId);
      return { kind: 'accepted', messageId: id };
    }
    // Held first, under the id the message will carry: a refused slot costs no message, and even an
    // instant reply finds its request.
    const id = newVumiId();
    const format = sender.replyFormat;
    const outcome = this.pending.hold(id, fields.to_addr, sender.scope, sender.client, sender.requestId);
    // One field read per held request; the line at most every 10 s: why requests wait out REQUEST_TIMEOUT.
    if (this.inboundQueue.noConsumer && this.noConsumerWarning.due()) this.warnNoConsumer(sender.requestId);
    try {
      await this.publisher.publish(this.routingKey, this.build(fields, sender, id).body, true, sender.requestId);
    } catch (error) {
      this.pending.release(id);
      throw error;
    }
    return { kind: 'held', messageId: id, answer: outcome.map((held) => this.answers.of(held, format)) };
  }

  /** The message and its bytes; logs the line that ties the request's id to its message's id (NOISY adds the body). */
  private build(fields: InboundFieldsDto, sender: InboundSender, messageId?: string): { id: string; body: string } {
    const message = buildInboundMessage(fields, {
      transportName: this.config.transportName,
      instanceId: this.config.instanceId,
      helperMetadata: sender.helperMetadata,
      messageId, // undefined: a new id
    });
    const id = message.message_id;
    const body = userMessageJson(message);
    if (this.config.noisy || this.debugLines) {
      const requestId = sender.requestId;
      const line = { msg: `Inbound message ${id}`, ...(requestId !== undefined && { request_id: requestId }), message_id: id };
      if (this.config.noisy) this.logger.log({ ...line, body: message });
      else this.logger.debug(line);
    }
    return { id, body };
  }

  private warnNoConsumer(requestId: string | undefined): void {
    const { queue, messages } = this.inboundQueue.reading;
    this.logger.warn({
      msg: `A request is held for its reply while nothing consumes ${queue} (${messages} messages waiting): it will wait out REQUEST_TIMEOUT unless an application starts`,
      queue,
      ...(requestId === undefined ? {} : { request_id: requestId }),
    });
  }
}
