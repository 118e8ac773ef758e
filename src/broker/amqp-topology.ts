import { Channel, Options } from 'amqplib';
import { AmqpQueueType } from '../config/transport-config';
import { routingKeysFor, VUMI_EXCHANGE, VumiRoutingKeys } from '../wire/vumi-topology';

/**
 * Vumi's AMQP topology for one transport, declared here and nowhere else
 * (vumi2 names it in connectors.py). The names come from wire/vumi-topology.ts;
 * this file owns the declarations: exchange, queues, bindings, arguments.
 *
 *   exchange  `vumi`: direct, durable; every queue is bound by its own name
 *   published `<tn>.inbound`             user messages                 declared by the publisher
 *             `<tn>.event`               ack / nack events             declared by the publisher
 *             `<tn>.status.status`       status events (PUBLISH_STATUS) declared by the publisher
 *   consumed  `<tn>.outbound`            replies, shared by instances  declared by the consumer
 *             `<tn>.outbound.<instance>` replies forwarded to the instance holding the request:
 *                                        exclusive, auto-delete, not durable, always classic
 *
 * Every durable queue is declared the same way, whoever declares it (the
 * service, the demo application, the tests' Vumi peers, the bench baseline):
 *
 * `classic`: Vumi's own declaration, durable with no arguments, so Vumi workers
 * re-declaring a queue never get PRECONDITION_FAILED.
 *
 * `quorum`: `x-queue-type: quorum`, replicated over the cluster's nodes. On
 * RabbitMQ 3.10 every declarer must pass the same argument (a Vumi worker that
 * declares without it gets PRECONDITION_FAILED); on 3.11+ leave this `classic`
 * and give the vhost the default queue type `quorum` instead.
 */

export const VUMI_EXCHANGE_TYPE = 'direct';

/** The slice of an amqplib channel (plain or confirm) that declares the topology. */
export type DeclaringChannel = Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>;

/** A queue the consumer reads, and whether what arrives on it was forwarded by another instance. */
export interface ConsumedQueue {
  queue: string;
  forwarded: boolean;
}

/** The options of every durable queue: Vumi's (durable, no arguments), plus the queue type when quorum. */
export function durableQueueOptions(queueType: AmqpQueueType): Options.AssertQueue {
  if (queueType === 'quorum') return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  return { durable: true };
}

/** An exclusive queue cannot be a quorum queue, and the broker deletes it when the instance goes away. */
const INSTANCE_QUEUE_OPTIONS: Readonly<Options.AssertQueue> = { exclusive: true, autoDelete: true, durable: false };

export class AmqpTopology {
  readonly keys: VumiRoutingKeys;

  constructor(
    transportName: string,
    private readonly queueType: AmqpQueueType = 'classic',
  ) {
    this.keys = routingKeysFor(transportName);
  }

  static of(config: { transportName: string; amqpQueueType: AmqpQueueType }): AmqpTopology {
    return new AmqpTopology(config.transportName, config.amqpQueueType);
  }

  /** The queues the service publishes to, declared before its first publish so nothing is dropped as unroutable. */
  published(publishStatus: boolean): string[] {
    return publishStatus ? [this.keys.inbound, this.keys.event, this.keys.status] : [this.keys.inbound, this.keys.event];
  }

  /** What the publisher's channel declares: the exchange and the published queues. */
  declarePublished(channel: DeclaringChannel, publishStatus: boolean): Promise<void> {
    return this.declareQueues(channel, this.published(publishStatus));
  }

  /** What the outbound consumer's channel declares: the shared `.outbound` queue and this instance's own. */
  async declareConsumed(channel: DeclaringChannel, instanceId: string): Promise<ConsumedQueue[]> {
    const own = this.keys.instanceOutbound(instanceId);
    await this.declareQueues(channel, [this.keys.outbound]);
    await channel.assertQueue(own, { ...INSTANCE_QUEUE_OPTIONS });
    await channel.bindQueue(own, VUMI_EXCHANGE, own);
    return [
      { queue: this.keys.outbound, forwarded: false },
      { queue: own, forwarded: true },
    ];
  }

  /**
   * Declares the `vumi` exchange and each of `queues` on it (queue name =
   * routing key), as a Vumi worker would: for the application side (the demo
   * application, the tests' peers, the bench baseline), which declares the
   * queues it reads and writes.
   */
  async declareQueues(channel: DeclaringChannel, queues: readonly string[]): Promise<void> {
    const options = durableQueueOptions(this.queueType);
    await channel.assertExchange(VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, { durable: true });
    for (const queue of queues) {
      await channel.assertQueue(queue, options);
      await channel.bindQueue(queue, VUMI_EXCHANGE, queue);
    }
  }
}
