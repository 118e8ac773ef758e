import { Logger } from '@nestjs/common';
import { ChannelWrapper } from 'amqp-connection-manager';
import { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnectionService } from './amqp-connection.service';

/** Replaced channels still settling at most; past it a nacked channel is kept until one of them closes. */
const MAX_RETIRED_CHANNELS = 8;

/**
 * The life of the publisher's confirm channel: opened on the publishing
 * connection (declaring what must exist before anything is published),
 * renewed after a nack, the replaced ones retired once their publishes had
 * time to settle, all closed at the end. What it publishes is MessagePublisher's.
 */
export class PublisherChannel {
  private readonly logger = new Logger('MessagePublisher');
  private wrapper: ChannelWrapper;
  /** Channels replaced after a nack, closed once their publishes had time to settle. */
  private readonly retired = new Set<ChannelWrapper>();
  /** The amqplib channel under each wrapper while it is up: publishes go straight to it (ConfirmWindow). */
  private readonly rawChannels = new Map<ChannelWrapper, ConfirmChannel>();
  /** Ids of mandatory publishes the broker returned as unroutable (basic.return precedes basic.ack). */
  private readonly returned = new Set<string>();
  private renewalsCount = 0;
  private closing = false;

  /**
   * @param declare runs in each channel's setup, before any publish goes straight to it.
   * @param settleMs how long a replaced channel stays open for its publishes in flight (the publish time-out).
   */
  constructor(
    private readonly connection: AmqpConnectionService,
    private readonly declare: (channel: ConfirmChannel) => Promise<void>,
    private readonly settleMs: number,
  ) {
    this.wrapper = this.open();
  }

  /** The channel new publishes go to. */
  get current(): ChannelWrapper {
    return this.wrapper;
  }

  /** The amqplib channel under `wrapper` while it is up and declared, else undefined (publish through the wrapper). */
  rawOf(wrapper: ChannelWrapper): ConfirmChannel | undefined {
    return this.rawChannels.get(wrapper);
  }

  /** Whether the broker returned the mandatory publish `messageId` as unroutable; forgets it. */
  takeReturned(messageId: string): boolean {
    return this.returned.delete(messageId);
  }

  /** Channels opened again after a nack (metrics). */
  get renewals(): number {
    return this.renewalsCount;
  }

  private open(): ChannelWrapper {
    const wrapper: ChannelWrapper = this.connection.publishing.manager.createChannel({
      name: 'publisher',
      confirm: true,
      json: false,
      setup: async (confirmChannel: ConfirmChannel) => {
        await this.declare(confirmChannel);
        confirmChannel.on('return', (message: ConsumeMessage) => {
          if (typeof message.properties.messageId === 'string') this.returned.add(message.properties.messageId);
        });
        // Declared and listened to: from now on publishes may go straight to it, until it closes.
        this.rawChannels.set(wrapper, confirmChannel);
        confirmChannel.once('close', () => {
          if (this.rawChannels.get(wrapper) === confirmChannel) this.rawChannels.delete(wrapper);
        });
      },
    });
    wrapper.on('error', (error: Error) => this.logger.warn(`Publisher channel error: ${error.message}`));
    return wrapper;
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
  renewAfterNack(nacked: ChannelWrapper): void {
    if (nacked !== this.wrapper || this.closing) return; // one renewal per channel, however many nacks
    // A broker that nacks everything (e.g. a queue refusing publishes when full) must not make channels pile up.
    if (this.retired.size >= MAX_RETIRED_CHANNELS) return;
    this.renewalsCount++;
    this.logger.warn('The broker nacked a publish: opening a fresh confirm channel');
    this.wrapper = this.open();
    this.retired.add(nacked);
    setTimeout(() => {
      this.retired.delete(nacked);
      void nacked.close().catch(() => undefined);
    }, this.settleMs).unref();
  }

  /** Closes the current channel and the retired ones (the publisher has waited for its publishes in flight). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.wrapper, ...this.retired].map((channel) => this.connection.closingDeadline.close(() => channel.close())));
    this.retired.clear();
    this.rawChannels.clear();
  }
}
