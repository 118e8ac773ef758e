import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ChannelWrapper } from 'amqp-connection-manager';
import { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { isValidRoutingKey, VUMI_EXCHANGE, routingKeysFor } from '../wire/vumi-topology';
import { newVumiId } from '../wire/vumi-ids';
import { AmqpConnectionService } from './amqp-connection.service';
import { BrokerUnavailableError, InvalidRoutingKeyError } from './amqp.errors';
import { CONFIRM_TIMEOUT, ConfirmWindow } from './confirm-window';
import { bodyBytes, PublishFrames } from './publish-frames';
import { declareVumiQueues } from './queue-declarations';
import { traceHeaders } from '../platform/tracing/trace-context';

/** Replaced channels still settling at most; past it a nacked channel is kept until one of them closes. */
const MAX_RETIRED_CHANNELS = 8;

/** The properties of every publish without mandatory, message id or trace headers: most of them. */
const PLAIN_PUBLISH: Options.Publish = { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', mandatory: false };

/** amqplib's error for a publish the broker nacked. */
const NACKED = 'message nacked';

export type PublishOutcome = 'routed' | 'unroutable';

/**
 * Publishes Vumi messages on a confirm channel. A publish resolves only once
 * the broker has confirmed it, and fails fast (BrokerUnavailableError) when
 * the broker is away, too slow, or too many publishes already wait: nothing
 * queues up in memory without bound while the broker is down.
 */
@Injectable()
export class MessagePublisher implements OnModuleDestroy {
  private readonly logger = new Logger('MessagePublisher');
  private channel: ChannelWrapper;
  /** Channels replaced after a nack, closed once their publishes had time to settle. */
  private readonly retired = new Set<ChannelWrapper>();
  private renewalsCount = 0;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlightCount = 0;
  /** The bounded share of inFlightCount: callers' messages, which MAX_PENDING_PUBLISHES limits. */
  private boundedInFlight = 0;
  private closing = false;
  /** Ids of mandatory publishes the broker returned as unroutable (basic.return precedes basic.ack). */
  private readonly returned = new Set<string>();
  private readonly confirmListeners: Array<(seconds: number, ok: boolean) => void> = [];
  /** The amqplib channel under each wrapper while it is up: publishes go straight to it (ConfirmWindow). */
  private readonly rawChannels = new Map<ChannelWrapper, ConfirmChannel>();
  private readonly confirms: ConfirmWindow;
  /** Plain publishes framed from pre-encoded bytes (the same bytes amqplib would send). */
  private readonly plainFrames = new PublishFrames(VUMI_EXCHANGE, PLAIN_PUBLISH);

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly connection: AmqpConnectionService,
  ) {
    this.timeoutMs = config.publishTimeout * 1000;
    this.maxInFlight = config.maxPendingPublishes;
    this.confirms = new ConfirmWindow(this.timeoutMs);
    this.channel = this.openChannel();
  }

  /** A confirm channel on the publishing connection, declaring what must exist before anything is published. */
  private openChannel(): ChannelWrapper {
    const keys = routingKeysFor(this.config.transportName);
    // Declared here so that nothing is dropped as unroutable before an application starts.
    const queues = this.config.publishStatus ? [keys.inbound, keys.event, keys.status] : [keys.inbound, keys.event];
    const channel: ChannelWrapper = this.connection.publishing.manager.createChannel({
      name: 'publisher',
      confirm: true,
      json: false,
      setup: async (confirmChannel: ConfirmChannel) => {
        await declareVumiQueues(confirmChannel, queues, this.config.amqpQueueType);
        confirmChannel.on('return', (message: ConsumeMessage) => {
          if (message.properties.messageId) this.returned.add(message.properties.messageId as string);
        });
        // Declared and listened to: from now on publishes may go straight to it, until it closes.
        this.rawChannels.set(channel, confirmChannel);
        confirmChannel.once('close', () => {
          if (this.rawChannels.get(channel) === confirmChannel) this.rawChannels.delete(channel);
        });
      },
    });
    channel.on('error', (error) => this.logger.warn(`Publisher channel error: ${error.message}`));
    return channel;
  }

  /**
   * After a nack, publish on a fresh channel. On RabbitMQ 3.10 a channel whose
   * first publish to a quorum queue comes while the queue's recorded leader is
   * on a dead node (the first seconds after a node is lost) has every later
   * publish nacked until that node returns (rabbit_fifo_client:enqueue/3): a
   * service that failed over fast would answer only 503s. A new channel looks
   * the leader up again. Publishes still in flight on the old channel settle
   * there (confirm or time-out) before it is closed.
   */
  private renewChannelAfterNack(nacked: ChannelWrapper): void {
    if (nacked !== this.channel || this.closing) return; // one renewal per channel, however many nacks
    // A broker that nacks everything (e.g. a queue refusing publishes when full) must not make channels pile up.
    if (this.retired.size >= MAX_RETIRED_CHANNELS) return;
    this.renewalsCount++;
    this.logger.warn('The broker nacked a publish: opening a fresh confirm channel');
    this.channel = this.openChannel();
    this.retired.add(nacked);
    setTimeout(() => {
      this.retired.delete(nacked);
      void nacked.close().catch(() => undefined);
    }, this.timeoutMs).unref();
  }

  /** Channels opened again after a nack (metrics). */
  get channelRenewals(): number {
    return this.renewalsCount;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Observes each confirm's latency (metrics). */
  onConfirm(listener: (seconds: number, ok: boolean) => void): void {
    this.confirmListeners.push(listener);
  }

  /**
   * Publishes persistently on the vumi exchange; resolves after the broker's confirm.
   * A string body is JSON text, sent as UTF-8.
   * `bounded` (HTTP callers' messages) counts against MAX_PENDING_PUBLISHES. The
   * consumer's events pass `false`: AMQP_PREFETCH_COUNT bounds them already, and a
   * burst of callers must not fail the ack of a reply that was just answered.
   */
  publish(routingKey: string, body: Buffer | string, bounded = true): Promise<void> {
    return this.send(routingKey, body, false, undefined, bounded); // no async wrapper: one promise less per message
  }

  /**
   * Publishes with `mandatory`, telling whether any queue took the message:
   * used to forward a reply to the instance holding its request.
   */
  async publishMandatory(routingKey: string, body: Buffer): Promise<PublishOutcome> {
    // Built from a field of an application's message: no queue can have a name that long.
    if (!isValidRoutingKey(routingKey)) return 'unroutable';
    const id = newVumiId();
    await this.send(routingKey, body, true, id, false); // forwarding: from the consumer, bounded by its prefetch
    const unroutable = this.returned.delete(id);
    return unroutable ? 'unroutable' : 'routed';
  }

  private async send(
    routingKey: string,
    body: Buffer | string,
    mandatory: boolean,
    messageId: string | undefined,
    bounded: boolean,
  ): Promise<void> {
    if (!isValidRoutingKey(routingKey)) throw new InvalidRoutingKeyError(routingKey);
    if (this.closing) throw new BrokerUnavailableError('closing', routingKey);
    if (!this.connection.canPublish) throw new BrokerUnavailableError('disconnected', routingKey);
    if (bounded && this.boundedInFlight >= this.maxInFlight) throw new BrokerUnavailableError('overloaded', routingKey);
    this.inFlightCount++;
    if (bounded) this.boundedInFlight++;
    const started = performance.now();
    let ok = false;
    const channel = this.channel;
    try {
      const raw = this.rawChannels.get(channel);
      if (raw !== undefined) {
        const options = this.publishOptions(mandatory, messageId);
        const plain = options === PLAIN_PUBLISH ? this.plainFrames : undefined;
        await this.confirms.publish(raw, VUMI_EXCHANGE, routingKey, body, options, plain);
      } else {
        // No channel up (reconnecting, or setting up): the wrapper holds it until one is, or until the time-out.
        await channel.publish(VUMI_EXCHANGE, routingKey, bodyBytes(body), {
          ...this.publishOptions(mandatory, messageId),
          timeout: this.timeoutMs,
        });
      }
      ok = true;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (message === NACKED) this.renewChannelAfterNack(channel);
      throw new BrokerUnavailableError(message === CONFIRM_TIMEOUT ? 'timeout' : 'rejected', routingKey, error);
    } finally {
      this.inFlightCount--;
      if (bounded) this.boundedInFlight--;
      if (this.confirmListeners.length > 0) {
        const seconds = (performance.now() - started) / 1000;
        for (const listener of this.confirmListeners) listener(seconds, ok);
      }
    }
  }

  /** The properties of every publish (the one place to add headers, e.g. trace context). */
  private publishOptions(mandatory: boolean, messageId: string | undefined): Options.Publish {
    // traceparent, tracestate, x-request-id when tracing (src/tracing); else none, and no context lookup per publish
    const headers = this.config.otelEnabled ? traceHeaders() : undefined;
    if (!mandatory && messageId === undefined && headers === undefined) return PLAIN_PUBLISH;
    return { ...PLAIN_PUBLISH, mandatory, messageId, headers };
  }

  /** Waits for publishes in flight (bounded by the publish time-out), then closes the channel. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadline = Date.now() + this.timeoutMs;
    while (this.inFlightCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all([this.channel, ...this.retired].map((channel) => channel.close().catch(() => undefined)));
    this.retired.clear();
    this.rawChannels.clear();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}
