import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ChannelWrapper } from 'amqp-connection-manager';
import { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import {
  isValidRoutingKey,
  VUMI_EXCHANGE,
  VUMI_EXCHANGE_TYPE,
  VUMI_QUEUE_OPTIONS,
  routingKeysFor,
} from '../vumi/vumi-topology';
import { newVumiId } from '../vumi/vumi-ids';
import { AmqpConnectionService } from './amqp-connection.service';
import { BrokerUnavailableError, InvalidRoutingKeyError } from './amqp.errors';

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
  private readonly channel: ChannelWrapper;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlightCount = 0;
  /** The bounded share of inFlightCount: callers' messages, which MAX_PENDING_PUBLISHES limits. */
  private boundedInFlight = 0;
  private closing = false;
  /** Ids of mandatory publishes the broker returned as unroutable (basic.return precedes basic.ack). */
  private readonly returned = new Set<string>();
  private readonly confirmListeners: Array<(seconds: number, ok: boolean) => void> = [];

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly connection: AmqpConnectionService,
  ) {
    this.timeoutMs = config.publishTimeout * 1000;
    this.maxInFlight = config.maxPendingPublishes;
    const keys = routingKeysFor(config.transportName);
    this.channel = connection.manager.createChannel({
      name: 'publisher',
      confirm: true,
      json: false,
      setup: async (channel: ConfirmChannel) => {
        // Declared here so that nothing is dropped as unroutable before an application starts.
        await channel.assertExchange(VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, { durable: true });
        for (const queue of [keys.inbound, keys.event]) {
          await channel.assertQueue(queue, VUMI_QUEUE_OPTIONS);
          await channel.bindQueue(queue, VUMI_EXCHANGE, queue);
        }
        channel.on('return', (message: ConsumeMessage) => {
          if (message.properties.messageId) this.returned.add(message.properties.messageId);
        });
      },
    });
    this.channel.on('error', (error) => this.logger.warn(`Publisher channel error: ${error.message}`));
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
   * `bounded` (HTTP callers' messages) counts against MAX_PENDING_PUBLISHES. The
   * consumer's events pass `false`: AMQP_PREFETCH_COUNT bounds them already, and a
   * burst of callers must not fail the ack of a reply that was just answered.
   */
  async publish(routingKey: string, body: Buffer, bounded = true): Promise<void> {
    await this.send(routingKey, body, false, undefined, bounded);
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
    body: Buffer,
    mandatory: boolean,
    messageId: string | undefined,
    bounded: boolean,
  ): Promise<void> {
    if (!isValidRoutingKey(routingKey)) throw new InvalidRoutingKeyError(routingKey);
    if (this.closing) throw new BrokerUnavailableError('closing', routingKey);
    if (!this.connection.isConnected) throw new BrokerUnavailableError('disconnected', routingKey);
    if (bounded && this.boundedInFlight >= this.maxInFlight) throw new BrokerUnavailableError('overloaded', routingKey);
    this.inFlightCount++;
    if (bounded) this.boundedInFlight++;
    const started = performance.now();
    let ok = false;
    try {
      await this.channel.publish(VUMI_EXCHANGE, routingKey, body, {
        persistent: true,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        mandatory,
        messageId,
        timeout: this.timeoutMs,
      });
      ok = true;
    } catch (error) {
      const timedOut = error instanceof Error && error.message === 'timeout';
      throw new BrokerUnavailableError(timedOut ? 'timeout' : 'rejected', routingKey, error);
    } finally {
      this.inFlightCount--;
      if (bounded) this.boundedInFlight--;
      if (this.confirmListeners.length > 0) {
        const seconds = (performance.now() - started) / 1000;
        for (const listener of this.confirmListeners) listener(seconds, ok);
      }
    }
  }

  /** Waits for publishes in flight (bounded by the publish time-out), then closes the channel. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadline = Date.now() + this.timeoutMs;
    while (this.inFlightCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.channel.close();
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}
