import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { ChannelWrapper } from 'amqp-connection-manager';
import { Channel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { AmqpConnectionService } from '../amqp/amqp-connection.service';
import { durableQueueOptions } from '../amqp/queue-declarations';
import { decodeOutboundMessage, MalformedVumiMessageError } from '../vumi/vumi-codec';
import { VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, routingKeysFor } from '../vumi/vumi-topology';
import { VUMI_OUTBOUND_PATTERN } from './outbound.constants';
import { VumiOutboundContext } from './vumi-outbound.context';
import { withTraceFrom } from '../tracing/trace-context';

/**
 * A Nest microservice transport speaking Vumi's own format: it consumes
 * `<transport>.outbound` (shared by all instances) and this instance's own
 * queue, with prefetch = amqp_prefetch_count and explicit acks, and hands
 * each decoded message to the @EventPattern(VUMI_OUTBOUND_PATTERN) handler.
 *
 * Ack policy:
 * - handled (reply delivered, or a Vumi nack event published): ack.
 * - not a decodable Vumi message: log, count, ack (dropped; a requeue would loop forever).
 * - the handler failed (e.g. the broker went away mid-way): requeue once; a
 *   redelivered message that fails again is dropped with an error log.
 */
@Injectable()
export class VumiOutboundServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('OutboundConsumer');
  private channel: ChannelWrapper | undefined;
  private readonly consumerTags = new Map<Channel, string[]>();
  private readonly inHand = new Set<Promise<void>>();
  private accepting = true;
  private handler: MessageHandler | undefined;
  private malformedCount = 0;
  private readonly malformedListeners: Array<(reason: string) => void> = [];

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly connection: AmqpConnectionService,
  ) {
    super();
  }

  /** Outbound messages dropped because they were not decodable. */
  get malformed(): number {
    return this.malformedCount;
  }

  get inHandCount(): number {
    return this.inHand.size;
  }

  onMalformed(listener: (reason: string) => void): void {
    this.malformedListeners.push(listener);
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    const keys = routingKeysFor(this.config.transportName);
    const ownQueue = keys.instanceOutbound(this.config.instanceId);
    const queueOptions = durableQueueOptions(this.config.amqpQueueType);
    // The consuming connection: in a resource alarm the broker blocks the publishing one, and replies must keep flowing.
    this.channel = this.connection.consuming.manager.createChannel({
      name: 'outbound-consumer',
      json: false,
      setup: async (channel: Channel) => {
        await channel.assertExchange(VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, { durable: true });
        await channel.assertQueue(keys.outbound, queueOptions);
        await channel.bindQueue(keys.outbound, VUMI_EXCHANGE, keys.outbound);
        // This instance's own queue: exclusive, so the broker deletes it when the instance goes away
        // (and classic whatever AMQP_QUEUE_TYPE says: an exclusive queue cannot be a quorum queue).
        await channel.assertQueue(ownQueue, { exclusive: true, autoDelete: true, durable: false });
        await channel.bindQueue(ownQueue, VUMI_EXCHANGE, ownQueue);
        await channel.prefetch(this.config.amqpPrefetchCount);
        if (!this.accepting) return;
        const tags: string[] = [];
        for (const [queue, forwarded] of [[keys.outbound, false], [ownQueue, true]] as const) {
          const { consumerTag } = await channel.consume(
            queue,
            // withTraceFrom: the reply's handling joins the trace in its headers (src/tracing), if any.
            (message) => message && this.track(withTraceFrom(message.properties.headers, `${queue} process`, () => this.handle(channel, queue, forwarded, message))),
            { noAck: false },
          );
          tags.push(consumerTag);
        }
        this.consumerTags.set(channel, tags);
        channel.once('close', () => this.consumerTags.delete(channel));
      },
    });
    this.channel.on('error', (error) => this.logger.warn(`Consumer channel error: ${error.message}`));
    this.channel.waitForConnect().then(
      () => callback(),
      (error) => callback(error),
    );
  }

  /** Stops taking new messages, then waits (up to `ms`) for those in hand. */
  async stopConsuming(ms: number): Promise<void> {
    this.accepting = false;
    for (const [channel, tags] of this.consumerTags) {
      for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
    }
    this.consumerTags.clear();
    const deadline = Date.now() + ms;
    while (this.inHand.size > 0 && Date.now() < deadline) {
      await Promise.race([...this.inHand, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  async close(): Promise<void> {
    if (this.accepting) await this.stopConsuming(this.config.publishTimeout * 1000);
    await this.channel?.close();
    this.channel = undefined;
  }

  on(): never {
    throw new Error('VumiOutboundServer does not support event listeners');
  }

  unwrap<T>(): T {
    return this.channel as T;
  }

  private track(work: Promise<void>): void {
    this.inHand.add(work);
    void work.finally(() => this.inHand.delete(work));
  }

  private async handle(channel: Channel, queue: string, forwarded: boolean, message: ConsumeMessage): Promise<void> {
    let decoded;
    try {
      decoded = decodeOutboundMessage(message.content, this.config.maxOutboundMessageBytes);
    } catch (error) {
      if (!(error instanceof MalformedVumiMessageError)) throw error;
      this.malformedCount++;
      for (const listener of this.malformedListeners) listener(error.reason);
      this.logger.error({
        msg: `Dropping malformed outbound message from ${queue}: ${error.reason}`,
        queue,
        reason: error.reason,
        body_preview: error.bodyPreview,
      });
      return this.settle(channel, message, 'ack');
    }
    // Looked up once: Nest's lookup tries JSON.parse on the pattern, which throws for a plain string.
    const handler = (this.handler ??= this.getHandlerByPattern(VUMI_OUTBOUND_PATTERN) ?? undefined);
    if (!handler) {
      this.logger.error(`No handler for ${VUMI_OUTBOUND_PATTERN}; requeueing`);
      return this.settle(channel, message, 'requeue');
    }
    try {
      const context = new VumiOutboundContext([queue, forwarded, message.content]);
      await lastValueFrom(this.transformToObservable(await handler(decoded, context)), { defaultValue: undefined });
      this.settle(channel, message, 'ack');
    } catch (error) {
      const again = !message.fields.redelivered;
      this.logger.error({
        msg: `Outbound message ${decoded.message_id} failed (${(error as Error)?.message ?? error}); ${again ? 'requeued' : 'dropped after a redelivery'}`,
        message_id: decoded.message_id,
        in_reply_to: decoded.in_reply_to,
      });
      this.settle(channel, message, again ? 'requeue' : 'ack');
    }
  }

  /** Acks on the channel the message came from; if that channel is gone, the broker redelivers it. */
  private settle(channel: Channel, message: ConsumeMessage, how: 'ack' | 'requeue'): void {
    try {
      if (how === 'ack') channel.ack(message);
      else channel.nack(message, false, true);
    } catch (error) {
      this.logger.warn(`Could not settle outbound message: ${(error as Error).message}`);
    }
  }
}
