import { Options } from 'amqplib';
import { AmqpTopology, DeclaringChannel, INSTANCE_QUEUE_EXPIRES_MS } from './amqp-topology';

/** Records every declaration instead of sending it. */
function recordingChannel() {
  const queues = new Map<string, Options.AssertQueue | undefined>();
  const bindings: Array<[string, string, string]> = [];
  const channel: DeclaringChannel = {
    assertExchange: () => Promise.resolve({ exchange: 'vumi' }),
    assertQueue: (queue: string, options?: Options.AssertQueue) => {
      queues.set(queue, options);
      return Promise.resolve({ queue, messageCount: 0, consumerCount: 0 });
    },
    bindQueue: (queue: string, exchange: string, key: string) => {
      bindings.push([queue, exchange, key]);
      return Promise.resolve({});
    },
  };
  return { channel, queues, bindings };
}

describe('AmqpTopology', () => {
  it("declares the shared outbound queue as Vumi does, and the instance's own so that it outlives the instance's connection", async () => {
    const { channel, queues, bindings } = recordingChannel();
    const consumed = await new AmqpTopology('sms').declareConsumed(channel, 'pod-1');

    expect(consumed).toEqual([
      { queue: 'sms.outbound', forwarded: false },
      { queue: 'sms.outbound.pod-1', forwarded: true },
    ]);
    expect(queues.get('sms.outbound')).toEqual({ durable: true });
    // Not exclusive: a reply forwarded as the instance dies waits, expires, and is dead-lettered to the shared queue.
    expect(queues.get('sms.outbound.pod-1')).toEqual({
      durable: false,
      arguments: {
        'x-queue-type': 'classic',
        'x-expires': INSTANCE_QUEUE_EXPIRES_MS,
        'x-dead-letter-exchange': 'vumi',
        'x-dead-letter-routing-key': 'sms.outbound',
      },
    });
    expect(bindings).toContainEqual(['sms.outbound.pod-1', 'vumi', 'sms.outbound.pod-1']);
  });

  it('keeps the instance queue classic when the durable queues are quorum queues', async () => {
    const { channel, queues } = recordingChannel();
    await new AmqpTopology('sms', 'quorum').declareConsumed(channel, 'pod-1');
    expect(queues.get('sms.outbound')).toEqual({ durable: true, arguments: { 'x-queue-type': 'quorum' } });
    expect(queues.get('sms.outbound.pod-1')).toMatchObject({ arguments: { 'x-queue-type': 'classic' } });
  });

  it("tells a reply that expired in one of this transport's instance queues from any other", () => {
    const topology = new AmqpTopology('sms');
    const death = (queue: string, reason = 'expired') => ({ 'x-death': [{ queue, reason, count: 1, exchange: 'vumi' }] });

    expect(topology.expiredInAnInstanceQueue(death('sms.outbound.pod-1'))).toBe(true);
    expect(topology.expiredInAnInstanceQueue(undefined)).toBe(false);
    expect(topology.expiredInAnInstanceQueue({})).toBe(false);
    expect(topology.expiredInAnInstanceQueue({ 'x-death': 'not a list' })).toBe(false);
    expect(topology.expiredInAnInstanceQueue(death('sms.outbound.pod-1', 'rejected'))).toBe(false);
    expect(topology.expiredInAnInstanceQueue(death('sms.outbound'))).toBe(false);
    expect(topology.expiredInAnInstanceQueue(death('other.outbound.pod-1'))).toBe(false);
  });
});
