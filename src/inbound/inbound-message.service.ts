import { Inject, Injectable, Logger } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { MessagePublisher } from '../amqp/message-publisher.service';
import { PendingRequestsService } from '../pending-requests/pending-requests.service';
import { ReplyTarget } from '../pending-requests/held-request';
import { LifecycleService } from '../lifecycle/lifecycle.service';
import { buildInboundMessage, encodeMessage } from '../vumi/vumi-codec';
import { routingKeysFor } from '../vumi/vumi-topology';
import { InboundFieldsDto } from './inbound-fields.dto';
import { ServiceDrainingError } from './http-api.errors';
import { logsDebug } from '../logging/log-level';
import { requestIdOf } from '../logging/request-id';

export type InboundOutcome = { held: false; messageId: string } | { held: true; messageId: string };

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
   * `scope` is the client's (ClientIdentity.scopeOf), whose share of held slots the request takes.
   * Once the broker confirmed, nothing here refers to the fields or the encoded message any more:
   * a held request keeps only its id, its `to_addr` (for the time-out log line) and its response.
   */
  async accept(
    fields: InboundFieldsDto,
    target: ReplyTarget,
    scope: string,
    helperMetadata?: Record<string, unknown>,
  ): Promise<InboundOutcome> {
    if (this.lifecycle.isDraining) throw new ServiceDrainingError();
    if (this.config.replyExpected) this.pending.admit(scope); // cheap, before the message is built
    const message = buildInboundMessage(fields, {
      transportName: this.config.transportName,
      instanceId: this.config.instanceId,
      helperMetadata,
    });
    const id = message.message_id;
    const body = encodeMessage(message);
    // The line that ties the request's id (request context) to its message's id; NOISY adds the body.
    if (this.config.noisy) {
      this.logger.log({ msg: `Inbound message ${id}`, ...requestIdOf(target), message_id: id, body: message });
    } else if (this.debugLines) {
      this.logger.debug({ msg: `Inbound message ${id}`, ...requestIdOf(target), message_id: id });
    }
    if (!this.config.replyExpected) {
      await this.publisher.publish(this.routingKey, body);
      return { held: false, messageId: id };
    }
    this.pending.hold(id, fields.to_addr, target, scope);
    try {
      await this.publisher.publish(this.routingKey, body);
    } catch (error) {
      this.pending.release(id);
      throw error;
    }
    return { held: true, messageId: id };
  }
}
