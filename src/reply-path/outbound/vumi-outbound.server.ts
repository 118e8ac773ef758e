import { Inject, Injectable, Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { ChannelWrapper } from 'amqp-connection-manager';
import { Channel, ConsumeMessage } from 'amqplib';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { AmqpConnectionService } from '../../broker/amqp-connection.service';
import { AmqpTopology } from '../../broker/amqp-topology';
import { decodeOutboundMessage, MalformedVumiMessageCode, MalformedVumiMessageError } from '../../wire/vumi-decoder';
import { Listeners } from '../../common/listeners';
import { suppressedNote, ThrottledLines } from '../../common/throttled-lines';
import { withTraceFrom } from '../../platform/tracing/trace-context';
import { DeliveryAcks } from './delivery-acks';
import { ReplyDispatcher } from './reply-dispatcher';

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
 *   Per-message lines are throttled (ThrottledLines): one per kind per 10 s, the rest counted.
 * - the handler failed (e.g. the broker went away mid-way): requeue once; a
 *   redelivered message that fails again is dropped with an error log.
 * Acks go out once per turn of the event loop, several in one frame (DeliveryAcks).
 */
@Injectable()
export class VumiOutboundServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('OutboundConsumer');
  private channel: ChannelWrapper | undefined;
  private readonly topology: AmqpTopology;
  private readonly consumerTags = new Map<Channel, string[]>();
  private readonly acks = new Map<Channel, DeliveryAcks>();
  /** Deliveries being handled: stopConsuming waits for them. */
  private inHand = 0;
  private accepting = true;
  private malformedCount = 0;
  private readonly malformedListeners = new Listeners<[code: MalformedVumiMessageCode]>();
  /** Per-message lines, each kind at most one per 10 s (a flood of bad messages is not a flood of lines). */
  private readonly malformedLines = new ThrottledLines('outbound_malformed');
  private readonly failedLines = new ThrottledLines('outbound_failed');
  private readonly settleLines = new ThrottledLines('outbound_settle');

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly connection: AmqpConnectionService,
    private readonly dispatcher: ReplyDispatcher,
  ) {
    super();
    this.topology = AmqpTopology.of(config);
  }

  /** Outbound messages dropped because they were not decodable. */
  get malformed(): number {
    return this.malformedCount;
  }

  onMalformed(listener: (code: MalformedVumiMessageCode) => void): void {
    this.malformedListeners.add(listener);
  }

  /** Each per-message line left out by its throttle, by kind (a metric). */
  onSuppressedLine(listener: (kind: string) => void): void {
    for (const lines of [this.malformedLines, this.failedLines, this.settleLines]) lines.onSuppressed(listener);
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    const topology = this.topology;
    // The consuming connection: in a resource alarm the broker blocks the publishing one, and replies must keep flowing.
    this.channel = this.connection.consuming.manager.createChannel({
      name: 'outbound-consumer',
      json: false,
      setup: async (channel: Channel) => {
        // The shared `.outbound` queue, then this instance's own (forwarded replies).
        const queues = await topology.declareConsumed(channel, this.config.instanceId);
        await channel.prefetch(this.config.amqpPrefetchCount);
        if (!this.accepting) return;
        const acks = new DeliveryAcks(channel, (error) =>
          this.settleLines.write((since) =>
            this.logger.warn(`Could not settle outbound message: ${error.message}${suppressedNote(since, 'settle failures')}`),
          ),
        );
        this.acks.set(channel, acks);
        channel.once('close', () => this.acks.delete(channel));
        const tags: string[] = [];
        for (const { queue, forwarded } of queues) {
          const spanName = `${queue} process`;
          const tracing = this.config.otelEnabled;
          const { consumerTag } = await channel.consume(
            queue,
            // withTraceFrom: the reply's handling joins the trace in its headers (src/platform/tracing), if any.
            (message) => {
              if (!message) return;
              // A reply that expired in an instance's queue came back here: it has travelled once already.
              const travelled = forwarded || topology.expiredInAnInstanceQueue(message.properties.headers);
              if (!tracing) return this.track(this.handle(acks, queue, travelled, message));
              this.track(withTraceFrom(message.properties.headers, spanName, () => this.handle(acks, queue, travelled, message)));
            },
            // Its own queue, this instance alone: a second one started with the same INSTANCE_ID is refused.
            { noAck: false, exclusive: forwarded },
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

  /**
   * Whether it consumes its queues now: set when the broker confirmed each consumer, cleared when
   * their channel closes (a lost connection) or when draining cancels them. Readiness reads it: a
   * connection can be up a moment before the consumer is, and replies wait for the consumer.
   */
  get isConsuming(): boolean {
    return this.consumerTags.size > 0;
  }

  /** Resolves once the consumer's queues are declared and it consumes (the first time; never rejects before close). */
  whenConsuming(): Promise<void> {
    return this.channel?.waitForConnect() ?? Promise.reject(new Error('the outbound consumer is not listening'));
  }

  /**
   * The way out's first step (its budget starts here: ClosingDeadline): stops taking new messages
   * for good, waits for those in hand, then removes its own queue if empty, all within the budget.
   */
  async stopConsuming(): Promise<void> {
    this.accepting = false;
    const deadline = this.connection.closingDeadline;
    deadline.start();
    const consumers = [...this.consumerTags];
    this.consumerTags.clear();
    await deadline.within(async () => {
      for (const [channel, tags] of consumers) {
        for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
      }
    });
    await deadline.waitUntil(() => this.inHand === 0);
    this.flushAcks();
    await this.removeOwnQueueIfEmpty();
  }

  async close(): Promise<void> {
    if (this.accepting) await this.stopConsuming();
    this.flushAcks(); // the acks of the last turn, before the channel's close frame
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await this.connection.closingDeadline.close(() => channel.close());
  }

  /**
   * Consuming stopped for good (the drain): a clean stop leaves no idle queue for x-expires to
   * collect. One that holds forwarded replies stays, and they expire back to the shared queue
   * (AmqpTopology). `checkQueue` first, because a `deleteQueue` refused by `ifEmpty` closes the
   * channel; `ifEmpty` still makes the broker check at the moment of deleting, and a reply
   * forwarded a moment later finds no queue and is nacked by its forwarder at once.
   */
  private async removeOwnQueueIfEmpty(): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    const own = this.topology.keys.instanceOutbound(this.config.instanceId);
    // Not connected, the broker too slow, or a reply arrived in between (the broker closes the channel): the queue expires.
    await this.connection.closingDeadline.within(async () => {
      const { messageCount } = await channel.checkQueue(own);
      if (messageCount === 0) await channel.deleteQueue(own, { ifEmpty: true });
    });
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
  private async handle(acks: DeliveryAcks, queue: string, travelled: boolean, message: ConsumeMessage): Promise<void> {
    let decoded;
    try {
      decoded = decodeOutboundMessage(message.content, this.config.maxOutboundMessageBytes);
    } catch (error) {
      if (!(error instanceof MalformedVumiMessageError)) {
        // Not expected of the decoder; settled like a failed handler (requeued once) rather than left in hand.
        const again = !message.fields.redelivered;
        this.failedLines.write((since) =>
          this.logger.error(
            `Could not decode an outbound message from ${queue} (${(error as Error)?.message ?? error}); ${again ? 'requeued' : 'dropped after a redelivery'}${suppressedNote(since, 'failed outbound messages')}`,
          ),
        );
        return again ? acks.requeue(message) : acks.ack(message);
      }
      this.malformedCount++;
      this.malformedListeners.emit(error.code);
      this.malformedLines.write((since) =>
        this.logger.error({
          msg: `Dropping malformed outbound message from ${queue}: ${error.reason}${suppressedNote(since, 'malformed outbound messages')}`,
          queue,
          reason: error.reason,
          body_preview: error.bodyPreview,
          suppressed: since,
        }),
      );
      return acks.ack(message);
    }
    try {
      await this.dispatcher.dispatch(decoded, message.content, travelled);
      acks.ack(message);
    } catch (error) {
      const again = !message.fields.redelivered;
      this.failedLines.write((since) =>
        this.logger.error({
          msg: `Outbound message ${decoded.message_id} failed (${(error as Error)?.message ?? error}); ${again ? 'requeued' : 'dropped after a redelivery'}${suppressedNote(since, 'failed outbound messages')}`,
          message_id: decoded.message_id,
          in_reply_to: decoded.in_reply_to,
          suppressed: since,
        }),
      );
      if (again) acks.requeue(message);
      else acks.ack(message);
    }
  }
}
