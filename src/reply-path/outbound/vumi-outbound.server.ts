import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { ChannelWrapper } from 'amqp-connection-manager';
import { Channel, ConsumeMessage } from 'amqplib';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { AmqpConnectionService } from '../../broker/amqp-connection.service';
import { declareVumiQueues } from '../../broker/queue-declarations';
import { decodeOutboundMessage, MalformedVumiMessageCode, MalformedVumiMessageError } from '../../wire/vumi-codec';
import { Listeners } from '../../common/listeners';
import { VUMI_EXCHANGE, routingKeysFor } from '../../wire/vumi-topology';
import { withTraceFrom } from '../../platform/tracing/trace-context';
import { DeliveryAcks } from './delivery-acks';
import { ReplyDispatcher } from './reply-dispatcher.service';

/**
 * A Nest microservice transport speaking Vumi's own format: it consumes
 * `<transport>.outbound` (shared by all instances) and this instance's own
 * queue, with prefetch = amqp_prefetch_count and explicit acks, and hands
 * each decoded message to the ReplyDispatcher. Nest runs it (listen, close)
 * as the app's microservice; the messages take the direct path to their one
 * handler rather than Nest's per-message dispatch (pattern lookup, RPC
 * context, an Observable per message), which cost about 19 µs per reply.
 *
 * Ack policy:
 * - handled (reply delivered, or a Vumi nack event published): ack.
 * - not a decodable Vumi message: log, count, ack (dropped; a requeue would loop forever).
 * - the handler failed (e.g. the broker went away mid-way): requeue once; a
 *   redelivered message that fails again is dropped with an error log.
 * Acks go out once per turn of the event loop, several in one frame (DeliveryAcks).
 */
@Injectable()
export class VumiOutboundServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('OutboundConsumer');
  private channel: ChannelWrapper | undefined;
  private readonly consumerTags = new Map<Channel, string[]>();
  private readonly acks = new Map<Channel, DeliveryAcks>();
  /** Deliveries being handled: stopConsuming waits for them. */
  private inHand = 0;
  private accepting = true;
  private malformedCount = 0;
  private readonly malformedListeners = new Listeners<[code: MalformedVumiMessageCode]>();

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly connection: AmqpConnectionService,
    private readonly dispatcher: ReplyDispatcher,
  ) {
    super();
  }

  /** Outbound messages dropped because they were not decodable. */
  get malformed(): number {
    return this.malformedCount;
  }

  onMalformed(listener: (code: MalformedVumiMessageCode) => void): void {
    this.malformedListeners.add(listener);
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    const keys = routingKeysFor(this.config.transportName);
    const ownQueue = keys.instanceOutbound(this.config.instanceId);
    // The consuming connection: in a resource alarm the broker blocks the publishing one, and replies must keep flowing.
    this.channel = this.connection.consuming.manager.createChannel({
      name: 'outbound-consumer',
      json: false,
      setup: async (channel: Channel) => {
        await declareVumiQueues(channel, [keys.outbound], this.config.amqpQueueType);
        // This instance's own queue: exclusive, so the broker deletes it when the instance goes away
        // (and classic whatever AMQP_QUEUE_TYPE says: an exclusive queue cannot be a quorum queue).
        await channel.assertQueue(ownQueue, { exclusive: true, autoDelete: true, durable: false });
        await channel.bindQueue(ownQueue, VUMI_EXCHANGE, ownQueue);
        await channel.prefetch(this.config.amqpPrefetchCount);
        if (!this.accepting) return;
        const acks = new DeliveryAcks(channel, (error) => this.logger.warn(`Could not settle outbound message: ${error.message}`));
        this.acks.set(channel, acks);
        channel.once('close', () => this.acks.delete(channel));
        const tags: string[] = [];
        for (const [queue, forwarded] of [
          [keys.outbound, false],
          [ownQueue, true],
        ] as const) {
          const spanName = `${queue} process`;
          const tracing = this.config.otelEnabled;
          const { consumerTag } = await channel.consume(
            queue,
            // withTraceFrom: the reply's handling joins the trace in its headers (src/tracing), if any.
            (message) => {
              if (!message) return;
              if (!tracing) return this.track(this.handle(acks, queue, forwarded, message));
              this.track(withTraceFrom(message.properties.headers, spanName, () => this.handle(acks, queue, forwarded, message)));
            },
            { noAck: false },
          );
          tags.push(consumerTag);
        }
        this.consumerTags.set(channel, tags);
        channel.once('close', () => this.consumerTags.delete(channel));
      },
    });
    this.channel.on('error', (error) => this.logger.warn(`Consumer channel error: ${error.message}`));
    // Called back at once, not on the broker's first answer: Nest's app.listen() waits for every
    // microservice, and the HTTP port (liveness, readiness, metrics, logs) must open whatever the
    // broker does. The channel declares and consumes each time the consuming connection comes up.
    callback();
  }

  /** Resolves once the consumer's queues are declared and it consumes (the first time; never rejects before close). */
  whenConsuming(): Promise<void> {
    return this.channel?.waitForConnect() ?? Promise.reject(new Error('the outbound consumer is not listening'));
  }

  /** Stops taking new messages, then waits (up to `ms`) for those in hand. */
  async stopConsuming(ms: number): Promise<void> {
    this.accepting = false;
    for (const [channel, tags] of this.consumerTags) {
      for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
    }
    this.consumerTags.clear();
    const deadline = Date.now() + ms;
    while (this.inHand > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(1, deadline - Date.now()))));
    }
    this.flushAcks();
  }

  async close(): Promise<void> {
    if (this.accepting) await this.stopConsuming(this.config.publishTimeout * 1000);
    this.flushAcks(); // the acks of the last turn, before the channel's close frame
    await this.channel?.close();
    this.channel = undefined;
  }

  on(): never {
    throw new Error('VumiOutboundServer does not support event listeners');
  }

  unwrap<T>(): T {
    return this.channel as T;
  }

  /** Counts a delivery in hand until its handling settles (handle never rejects): a number, not a Set of promises. */
  private track(work: Promise<void>): void {
    this.inHand++;
    void work.then(this.released, this.released);
  }

  private readonly released = (): void => {
    this.inHand--;
  };

  private flushAcks(): void {
    for (const acks of this.acks.values()) acks.flush();
  }

  /** Never throws: every delivery is settled, or its tag would hold up DeliveryAcks' batching. */
  private async handle(acks: DeliveryAcks, queue: string, forwarded: boolean, message: ConsumeMessage): Promise<void> {
    let decoded;
    try {
      decoded = decodeOutboundMessage(message.content, this.config.maxOutboundMessageBytes);
    } catch (error) {
      if (!(error instanceof MalformedVumiMessageError)) {
        // Not expected of the decoder; settled like a failed handler (requeued once) rather than left in hand.
        const again = !message.fields.redelivered;
        this.logger.error(
          `Could not decode an outbound message from ${queue} (${(error as Error)?.message ?? error}); ${again ? 'requeued' : 'dropped after a redelivery'}`,
        );
        return again ? acks.requeue(message) : acks.ack(message);
      }
      this.malformedCount++;
      this.malformedListeners.emit(error.code);
      this.logger.error({
        msg: `Dropping malformed outbound message from ${queue}: ${error.reason}`,
        queue,
        reason: error.reason,
        body_preview: error.bodyPreview,
      });
      return acks.ack(message);
    }
    try {
      await this.dispatcher.dispatch(decoded, message.content, forwarded);
      acks.ack(message);
    } catch (error) {
      const again = !message.fields.redelivered;
      this.logger.error({
        msg: `Outbound message ${decoded.message_id} failed (${(error as Error)?.message ?? error}); ${again ? 'requeued' : 'dropped after a redelivery'}`,
        message_id: decoded.message_id,
        in_reply_to: decoded.in_reply_to,
      });
      if (again) acks.requeue(message);
      else acks.ack(message);
    }
  }
}
