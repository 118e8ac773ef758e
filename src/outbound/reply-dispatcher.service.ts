import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { MessagePublisher } from '../amqp/message-publisher.service';
import { PendingRequestsService } from '../pending-requests/pending-requests.service';
import {
  buildAck,
  buildNack,
  encodeMessage,
  missingFieldsReason,
  NO_MATCHING_REQUEST,
  OutboundMessage,
  REPLIES_NOT_EXPECTED,
} from '../vumi/vumi-codec';
import { routingKeysFor, VumiRoutingKeys } from '../vumi/vumi-topology';

export type DispatchResult = 'replied' | 'forwarded' | 'nacked';

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

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly pending: PendingRequestsService,
    private readonly publisher: MessagePublisher,
  ) {
    this.keys = routingKeysFor(config.transportName);
  }

  onDispatch(listener: DispatchListener): void {
    this.listeners.push(listener);
  }

  /** `forwarded`: the message came from this instance's own queue, so it must not travel on. */
  async dispatch(message: OutboundMessage, body: Buffer, forwarded: boolean): Promise<DispatchResult> {
    if (this.config.noisy) this.logger.log(`Outbound message ${message.message_id}: ${body.toString('utf8')}`);
    if (!this.config.replyExpected) return this.nack(message, REPLIES_NOT_EXPECTED);
    const missing = missingFieldsReason(message);
    if (missing) return this.nack(message, missing);
    const inReplyTo = message.in_reply_to as string;
    if (this.pending.finishWithReply(inReplyTo, message.content as string)) {
      await this.publishEvent(encodeMessage(buildAck(message.message_id, this.config.transportName)));
      return this.done('replied');
    }
    const holder = message.holder_instance_id;
    if (!forwarded && holder !== null && holder !== this.config.instanceId) {
      const outcome = await this.publisher.publishMandatory(this.keys.instanceOutbound(holder), body);
      if (outcome === 'routed') {
        this.logger.debug(`Reply ${message.message_id} forwarded to instance ${holder}`);
        return this.done('forwarded');
      }
    }
    return this.nack(message, NO_MATCHING_REQUEST);
  }

  private async nack(message: OutboundMessage, reason: string): Promise<DispatchResult> {
    this.logger.warn(`Nack for outbound message ${message.message_id}: ${reason}`);
    await this.publishEvent(encodeMessage(buildNack(message.message_id, reason, this.config.transportName)));
    return this.done('nacked', reason);
  }

  private async publishEvent(body: Buffer): Promise<void> {
    await this.publisher.publish(this.keys.event, body);
  }

  private done(result: DispatchResult, reason?: string): DispatchResult {
    for (const listener of this.listeners) listener(result, reason);
    return result;
  }
}
