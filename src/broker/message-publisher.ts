import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Options } from 'amqplib';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { isValidRoutingKey, VUMI_EXCHANGE } from '../wire/vumi-topology';
import { newVumiId } from '../wire/vumi-ids';
import { AmqpConnectionService } from './amqp-connection.service';
import { BrokerUnavailableError, InvalidRoutingKeyError } from './amqp.errors';
import { CONFIRM_TIMEOUT, ConfirmWindow } from './confirm-window';
import { bodyBytes, PublishFrames, publishFramesIfAllowed } from './publish-frames';
import { fastPathsFor } from '../config/fast-paths';
import { AmqpTopology } from './amqp-topology';
import { PublisherChannel } from './publisher-channel';
import { REQUEST_ID_HEADER, traceHeaders } from '../platform/tracing/trace-context';

/** The properties of every publish without mandatory, message id or trace headers: most of them. */
const PLAIN_PUBLISH: Options.Publish = { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', mandatory: false };

/** amqplib's error for a publish the broker nacked. */
const NACKED = 'message nacked';

export type PublishOutcome = 'routed' | 'unroutable';

/**
 * Publishes Vumi messages on a confirm channel. A publish resolves only once
 * the broker has confirmed it, and fails fast (BrokerUnavailableError) when
 * the broker is away, too slow, or too many publishes already wait: nothing
 * queues up in memory without bound while the broker is down. The channel's
 * life (open, renew after a nack, retire, close) is PublisherChannel's.
 */
@Injectable()
export class MessagePublisher implements OnModuleDestroy {
  /** The confirm channel's life: open, renewed after a nack, retired, closed. */
  private readonly channels: PublisherChannel;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlightCount = 0;
  /** The bounded share of inFlightCount: callers' messages, which MAX_PENDING_PUBLISHES limits. */
  private boundedInFlight = 0;
  private closing = false;
  private readonly confirmListeners: Array<(seconds: number, ok: boolean) => void> = [];
  private readonly confirms: ConfirmWindow;
  /** Plain publishes framed from pre-encoded bytes (the same bytes amqplib would send); none with FAST_PATHS=off. */
  private readonly plainFrames: PublishFrames | undefined;
  /** AMQP_REQUEST_ID_HEADER: whether a publish writes its request id into `x-request-id`. */
  private readonly requestIdHeader: boolean;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly connection: AmqpConnectionService,
  ) {
    this.timeoutMs = config.publishTimeoutMs;
    this.maxInFlight = config.maxPendingPublishes;
    this.requestIdHeader = config.amqpRequestIdHeader;
    this.confirms = new ConfirmWindow(this.timeoutMs);
    this.plainFrames = publishFramesIfAllowed(VUMI_EXCHANGE, PLAIN_PUBLISH, fastPathsFor(config));
    const topology = AmqpTopology.of(config);
    // Declared before the first publish, so that nothing is dropped as unroutable before an application starts.
    this.channels = new PublisherChannel(connection, (channel) => topology.declarePublished(channel, config.publishStatus), this.timeoutMs);
  }

  /** Channels opened again after a nack (metrics). */
  get channelRenewals(): number {
    return this.channels.renewals;
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
  publish(routingKey: string, body: Buffer | string, bounded = true, requestId?: string): Promise<void> {
    return this.send(routingKey, body, false, undefined, bounded, requestId); // no async wrapper: one promise less per message
  }

  /**
   * Publishes with `mandatory`, telling whether any queue took the message, and with an
   * expiration (`expiresInMs`): used to forward a reply to the instance holding its request.
   */
  async publishMandatory(routingKey: string, body: Buffer, expiresInMs: number): Promise<PublishOutcome> {
    // Built from a field of an application's message: no queue can have a name that long.
    if (!isValidRoutingKey(routingKey)) return 'unroutable';
    const id = newVumiId();
    await this.send(routingKey, body, true, id, false, undefined, expiresInMs); // forwarding: from the consumer, bounded by its prefetch
    const unroutable = this.channels.takeReturned(id);
    return unroutable ? 'unroutable' : 'routed';
  }

  private async send(
    routingKey: string,
    body: Buffer | string,
    mandatory: boolean,
    messageId: string | undefined,
    bounded: boolean,
    requestId?: string,
    expiresInMs?: number,
  ): Promise<void> {
    const headerRequestId = this.requestIdHeader ? requestId : undefined; // AMQP_REQUEST_ID_HEADER
    if (!isValidRoutingKey(routingKey)) throw new InvalidRoutingKeyError(routingKey);
    if (this.closing) throw new BrokerUnavailableError('closing', routingKey);
    if (!this.connection.canPublish) throw new BrokerUnavailableError('disconnected', routingKey);
    if (bounded && this.boundedInFlight >= this.maxInFlight) throw new BrokerUnavailableError('overloaded', routingKey);
    this.inFlightCount++;
    if (bounded) this.boundedInFlight++;
    const started = performance.now();
    let ok = false;
    const channel = this.channels.current;
    try {
      const raw = this.channels.rawOf(channel);
      const traced = this.config.otelEnabled ? traceHeaders(this.requestIdHeader) : undefined;
      // Most publishes: nothing but the request id beyond a plain publish, framed (PublishFrames writes the header),
      // and no options object built unless amqplib has to publish it after all.
      const plain = !mandatory && messageId === undefined && traced === undefined && expiresInMs === undefined;
      if (raw !== undefined && plain) {
        await this.confirms.publish(raw, VUMI_EXCHANGE, routingKey, body, PLAIN_PUBLISH, this.plainFrames, headerRequestId);
      } else if (raw !== undefined) {
        await this.confirms.publish(
          raw,
          VUMI_EXCHANGE,
          routingKey,
          body,
          this.publishOptions(mandatory, messageId, headerRequestId, traced, expiresInMs),
        );
      } else {
        // No channel up (reconnecting, or setting up): the wrapper holds it until one is, or until the time-out.
        const options = this.publishOptions(mandatory, messageId, headerRequestId, traced, expiresInMs);
        await channel.publish(VUMI_EXCHANGE, routingKey, bodyBytes(body), { ...options, timeout: this.timeoutMs });
      }
      ok = true;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (message === NACKED) this.channels.renewAfterNack(channel);
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

  /**
   * The properties of every publish (the one place to add headers). The request's id goes into
   * `x-request-id` unless AMQP_REQUEST_ID_HEADER=false (`send` drops it then), so a message names the
   * HTTP request it came from, tracing or not; with tracing, traceparent and tracestate too
   * (src/platform/tracing), else no context lookup per publish.
   */
  private publishOptions(
    mandatory: boolean,
    messageId: string | undefined,
    requestId: string | undefined,
    traced: Record<string, string> | undefined,
    expiresInMs: number | undefined,
  ): Options.Publish {
    if (traced === undefined && requestId === undefined && !mandatory && messageId === undefined && expiresInMs === undefined) {
      return PLAIN_PUBLISH;
    }
    const headers = traced ?? (requestId === undefined ? undefined : {});
    if (headers !== undefined && requestId !== undefined) headers[REQUEST_ID_HEADER] ??= requestId;
    const options: Options.Publish = { ...PLAIN_PUBLISH, mandatory, messageId, headers };
    if (expiresInMs !== undefined) options.expiration = String(Math.max(0, Math.round(expiresInMs)));
    return options;
  }

  /** Waits for publishes in flight, then closes the channels, within the way out's budget (ClosingDeadline). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadline = this.connection.closingDeadline;
    deadline.start();
    await deadline.waitUntil(() => this.inFlightCount === 0);
    await this.channels.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}
