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
 *                                        one consumer (exclusive), always classic, gone
 *                                        30 min after its last consumer (x-expires); what
 *                                        expires in it is dead-lettered to `<tn>.outbound`
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

/**
 * A queue the consumer reads, and whether what arrives on it was forwarded by another instance
 * (this instance's own queue, which it consumes alone: `exclusive` on the consumer).
 */
export interface ConsumedQueue {
  queue: string;
  forwarded: boolean;
}

/** How long an instance's queue stays once nothing consumes it (its instance died, or lost the broker for that long). */
export const INSTANCE_QUEUE_EXPIRES_MS = 30 * 60_000;

/**
 * The longest a forwarded reply may wait in its holder's queue (the forwarder sets it as the
 * message's expiration, its REQUEST_TIMEOUT if shorter). A live holder takes it at once; this
 * covers a holder whose connection is down for a reconnect, and bounds how late a reply whose
 * holder died is nacked. Far below the queue's own expiry, so that a reply always expires, and
 * is dead-lettered, before its queue can be deleted with it.
 */
export const FORWARDED_REPLY_MAX_TTL_MS = 30_000;

/** The options of every durable queue: Vumi's (durable, no arguments), plus the queue type when quorum. */
export function durableQueueOptions(queueType: AmqpQueueType): Options.AssertQueue {
  if (queueType === 'quorum') return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
  return { durable: true };
}

/** One entry of RabbitMQ's `x-death` header, which dead-lettering adds to a message. */
interface DeathRecord {
  queue?: unknown;
  reason?: unknown;
}

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
    await channel.assertQueue(own, this.instanceQueueOptions());
    await channel.bindQueue(own, VUMI_EXCHANGE, own);
    return [
      { queue: this.keys.outbound, forwarded: false },
      { queue: own, forwarded: true },
    ];
  }

  /**
   * An instance's own queue outlives the instance's connection, so that a reply forwarded to it
   * just before the instance dies (or while its connection is down) is not deleted with the
   * queue, as an exclusive queue's messages are: it waits there until its expiration, then is
   * dead-lettered back to the shared `.outbound` queue, where another instance nacks it (see
   * `expiredInAnInstanceQueue`). The arguments are constants, so a restarted instance re-declares
   * its queue whatever its settings. Classic whatever the vhost's default queue type, and not
   * durable: when the cluster node it lives on is lost, the broker deletes it, and the instance
   * declares it afresh on the node it reconnects to (a durable classic queue would refuse that
   * until its node came back). RabbitMQ 4 logs such queues as a deprecated feature (see docs/deploy.md).
   */
  private instanceQueueOptions(): Options.AssertQueue {
    return {
      durable: false,
      arguments: {
        'x-queue-type': 'classic',
        'x-expires': INSTANCE_QUEUE_EXPIRES_MS,
        'x-dead-letter-exchange': VUMI_EXCHANGE,
        'x-dead-letter-routing-key': this.keys.outbound,
      },
    };
  }

  /**
   * Whether a message on the shared `.outbound` queue came back there from an instance's queue,
   * where it waited past its expiration (its `x-death` header says so): nobody took it in time,
   * so forwarding it again would only send it round once more.
   */
  expiredInAnInstanceQueue(headers: Record<string, unknown> | undefined): boolean {
    const deaths = headers?.['x-death'];
    if (!Array.isArray(deaths)) return false;
    const prefix = `${this.keys.outbound}.`;
    return deaths.some(
      (death: DeathRecord) => death.reason === 'expired' && typeof death.queue === 'string' && death.queue.startsWith(prefix),
    );
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
