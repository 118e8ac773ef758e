import { Channel, Options } from 'amqplib';
import { AmqpQueueType } from '../config/transport-config';
import { VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, VUMI_QUEUE_OPTIONS } from '../wire/vumi-topology';

/**
 * How the service (and the demo echo application) declare Vumi's durable
 * queues: `.inbound`, `.event`, `.outbound`, `.status.status`.
 *
 * `classic`: Vumi's own declaration, durable with no arguments, so Vumi workers
 * re-declaring a queue never get PRECONDITION_FAILED.
 *
 * `quorum`: `x-queue-type: quorum`, replicated over the cluster's nodes. On
 * RabbitMQ 3.10 every declarer must pass the same argument (a Vumi worker that
 * declares without it gets PRECONDITION_FAILED); on 3.11+ leave this `classic`
 * and give the vhost the default queue type `quorum` instead.
 *
 * Per-instance exclusive reply queues are never declared through here: an
 * exclusive queue cannot be a quorum queue.
 */
export function durableQueueOptions(queueType: AmqpQueueType): Options.AssertQueue {
  if (queueType === 'quorum') return { ...VUMI_QUEUE_OPTIONS, arguments: { 'x-queue-type': 'quorum' } };
  return { ...VUMI_QUEUE_OPTIONS };
}

/** The slice of an amqplib channel (plain or confirm) that declares the topology. */
type DeclaringChannel = Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>;

/**
 * Declares the `vumi` exchange and each of `queues` on it (queue name =
 * routing key), as a Vumi worker would: what the publisher, the outbound
 * consumer and the demo application run in their channel setup.
 */
export async function declareVumiQueues(channel: DeclaringChannel, queues: readonly string[], queueType: AmqpQueueType): Promise<void> {
  const options = durableQueueOptions(queueType);
  await channel.assertExchange(VUMI_EXCHANGE, VUMI_EXCHANGE_TYPE, { durable: true });
  for (const queue of queues) {
    await channel.assertQueue(queue, options);
    await channel.bindQueue(queue, VUMI_EXCHANGE, queue);
  }
}
