import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Channel } from 'amqplib';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { routingKeysFor } from '../wire/vumi-topology';
import { AmqpConnectionService } from './amqp-connection.service';

/** What the last passive declare of `<tn>.inbound` said. */
export interface InboundQueueReading {
  readonly queue: string;
  /** false: the broker answered 404 (nothing declared it yet); null: never read (no connection yet, or checks off). */
  readonly exists: boolean | null;
  readonly consumers: number | null;
  readonly messages: number | null;
  /** Date.now() of the last answer; null before the first. */
  readonly checkedAt: number | null;
}

/**
 * Is anyone listening? Every INBOUND_QUEUE_CHECK_INTERVAL seconds a passive declare (checkQueue)
 * of `<tn>.inbound` reads how many consumers it has and how many messages wait there. On a
 * channel of its own, on the consuming connection: a 404 closes the channel it came on, and that
 * must never be the publisher's (publishing would lose its confirms in flight). The channel is
 * opened again at the next check. Readers (metrics, health, the reply-mode warning) take the last
 * reading: nothing here runs per request.
 */
@Injectable()
export class InboundQueueMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('InboundQueue');
  private readonly queue: string;
  private readonly intervalMs: number;
  private channel: Promise<Channel> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: InboundQueueReading;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly connection: AmqpConnectionService,
  ) {
    this.queue = routingKeysFor(config.transportName).inbound;
    this.intervalMs = config.inboundQueueCheckInterval * 1000;
    this.last = { queue: this.queue, exists: null, consumers: null, messages: null, checkedAt: null };
  }

  get reading(): InboundQueueReading {
    return this.last;
  }

  /** True only when the last reading saw the queue with no consumer (unknown is not "none"). */
  get noConsumer(): boolean {
    return this.last.consumers === 0;
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs <= 0) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const channel = this.channel;
    this.channel = undefined;
    // Bounded as a whole: the channel may still be opening, on a broker that no longer answers.
    if (channel) await this.connection.closingDeadline.close(async () => (await channel).close());
  }

  /** One passive declare now (the timer's, and tests'); a check still running makes this one a no-op. */
  async check(): Promise<InboundQueueReading> {
    if (this.running) return this.last;
    const raw = this.connection.consuming.manager.connection;
    if (!raw) return this.last; // disconnected: the last reading stands, its checkedAt says how old it is
    this.running = true;
    try {
      const channel = await (this.channel ??= this.open(raw));
      const { consumerCount, messageCount } = await channel.checkQueue(this.queue);
      this.last = { queue: this.queue, exists: true, consumers: consumerCount, messages: messageCount, checkedAt: Date.now() };
    } catch (error) {
      this.channel = undefined; // closed by the broker (404), or never opened: a new one next time
      if ((error as { code?: number }).code === 404) {
        this.last = { queue: this.queue, exists: false, consumers: 0, messages: 0, checkedAt: Date.now() };
      } else {
        this.logger.debug(`Passive declare of ${this.queue} failed: ${(error as Error).message}`);
      }
    } finally {
      this.running = false;
    }
    return this.last;
  }

  private async open(raw: { createChannel(): Promise<Channel> }): Promise<Channel> {
    const channel = await raw.createChannel();
    // A 404 closes the channel with an error event; without a listener it would be an uncaught one.
    // Whatever closed it, the next checkQueue fails and check() opens another.
    channel.on('error', () => undefined);
    return channel;
  }
}
