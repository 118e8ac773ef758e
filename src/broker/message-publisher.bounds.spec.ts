import { loadConfig } from '../config/config-loader';
import { AmqpConnectionService } from './amqp-connection.service';
import { ClosingDeadline } from './closing-deadline';
import { BrokerUnavailableError, InvalidRoutingKeyError } from './amqp.errors';
import { MessagePublisher } from './message-publisher';

/** A channel wrapper whose publishes wait until the test confirms them. */
class FakeChannel {
  publishes: Array<{ routingKey: string; confirm: () => void }> = [];

  publish(_exchange: string, routingKey: string): Promise<void> {
    return new Promise((confirm) => this.publishes.push({ routingKey, confirm: () => confirm() }));
  }

  on(): void {}

  async close(): Promise<void> {}
}

function create(env: Record<string, string> = {}): { publisher: MessagePublisher; channel: FakeChannel } {
  const channel = new FakeChannel();
  const config = loadConfig({ TRANSPORT_NAME: 'unit', ...env });
  const connection = {
    canPublish: true,
    publishing: { manager: { createChannel: () => channel } },
    closingDeadline: new ClosingDeadline(config.publishTimeoutMs),
  };
  return { publisher: new MessagePublisher(config, connection as unknown as AmqpConnectionService), channel };
}

const body = Buffer.from('{}');

describe('MessagePublisher bounds', () => {
  it('never hands amqplib a routing key over 255 bytes (it would misalign every later confirm)', async () => {
    const { publisher, channel } = create();
    await expect(publisher.publish('x'.repeat(256), body)).rejects.toBeInstanceOf(InvalidRoutingKeyError);
    await expect(publisher.publish('ü'.repeat(128), body)).rejects.toBeInstanceOf(InvalidRoutingKeyError);
    // Forwarding to an instance named by an application's message: no such queue can exist.
    await expect(publisher.publishMandatory(`unit.outbound.${'y'.repeat(300)}`, body, 1000)).resolves.toBe('unroutable');
    expect(channel.publishes).toEqual([]);
  });

  it('refuses callers past MAX_PENDING_PUBLISHES, but never the consumer events (bounded by the prefetch)', async () => {
    const { publisher, channel } = create({ MAX_PENDING_PUBLISHES: '2' });
    const callers = [publisher.publish('unit.inbound', body), publisher.publish('unit.inbound', body)];
    await expect(publisher.publish('unit.inbound', body)).rejects.toEqual(
      expect.objectContaining({ reason: 'overloaded' }) as BrokerUnavailableError,
    );
    const events = [publisher.publish('unit.event', body, false), publisher.publish('unit.event', body, false)];
    // Events in flight do not take room from callers either.
    channel.publishes[0].confirm();
    await callers[0];
    const next = publisher.publish('unit.inbound', body);
    expect(publisher.inFlight).toBe(4);
    for (const publish of channel.publishes.slice(1)) publish.confirm();
    await Promise.all([callers[1], ...events, next]);
    expect(publisher.inFlight).toBe(0);
  });
});
