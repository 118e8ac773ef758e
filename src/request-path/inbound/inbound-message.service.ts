import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { MessagePublisher } from '../../broker/message-publisher';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { ClientWatch, HeldOutcome } from '../../reply-path/pending-requests/held-request';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';
import { buildInboundMessage } from '../../wire/vumi-builders';
import { userMessageJson } from '../../wire/vumi-serializer';
import { routingKeysFor } from '../../wire/vumi-topology';
import { InboundFieldsDto } from './inbound-fields.dto';
import { ServiceDrainingError } from './inbound.errors';
import { logsDebug } from '../../platform/logging/log-level';

/**
 * Fire-and-forget: the message is confirmed. Reply mode: it is confirmed and its request held;
 * `outcome` settles once with the reply, the time-out, shutdown or the caller gone.
 */
export type InboundOutcome =
  | { readonly kind: 'accepted'; readonly messageId: string }
  | { readonly kind: 'held'; readonly messageId: string; readonly outcome: Promise<HeldOutcome> };

/** Who sent the fields, as plain values (the HTTP layer reads them off its request). */
export interface InboundSender {
  /** The client's share of held slots (ClientIdentity.scopeOf). */
  readonly scope: string;
  /** Goes into the message's helper_metadata (the caller's name, callerHelperMetadata). */
  readonly helperMetadata?: Record<string, unknown>;
  /** Tells a held request its caller is gone; names the request in log lines. */
  readonly client?: ClientWatch;
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

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly publisher: MessagePublisher,
    private readonly pending: PendingRequestsService,
    private readonly lifecycle: LifecycleService,
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
    if (this.config.replyExpected) this.pending.admit(sender.scope); // cheap, before the message is built
    const message = buildInboundMessage(fields, {
      transportName: this.config.transportName,
      instanceId: this.config.instanceId,
      helperMetadata: sender.helperMetadata,
    });
    const id = message.message_id;
    const body = userMessageJson(message);
    // The line that ties the request's id (request context) to its message's id; NOISY adds the body.
    if (this.config.noisy || this.debugLines) {
      const requestId = sender.client?.requestId;
      const line = { msg: `Inbound message ${id}`, ...(requestId !== undefined && { request_id: requestId }), message_id: id };
      if (this.config.noisy) this.logger.log({ ...line, body: message });
      else this.logger.debug(line);
    }
    if (!this.config.replyExpected) {
      await this.publisher.publish(this.routingKey, body);
      return { kind: 'accepted', messageId: id };
    }
    const outcome = this.pending.hold(id, fields.to_addr, sender.scope, sender.client);
    try {
      await this.publisher.publish(this.routingKey, body);
    } catch (error) {
      this.pending.release(id);
      throw error;
    }
    return { kind: 'held', messageId: id, outcome };
  }
}
