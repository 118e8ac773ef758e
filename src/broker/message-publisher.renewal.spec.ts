import { loadConfig } from '../config/config-loader';
import { AmqpConnectionService } from './amqp-connection.service';
import { ClosingDeadline } from './closing-deadline';
import { BrokerUnavailableError } from './amqp.errors';
import { MessagePublisher } from './message-publisher';

/** A channel wrapper that nacks every publish, like a 3.10 channel stuck on a dead quorum leader. */
class NackingChannel {
  publishes = 0;
  closed = false;
  constructor(private readonly nacks: boolean) {}

  publish(): Promise<void> {
    this.publishes++;
    return this.nacks ? Promise.reject(new Error('message nacked')) : Promise.resolve();
  }

  on(): void {}

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function create(channelsNack: boolean[]) {
  const channels: NackingChannel[] = [];
  const manager = {
    createChannel: () => {
      const channel = new NackingChannel(channelsNack[channels.length] ?? false);
      channels.push(channel);
      return channel;
    },
  };
  const config = loadConfig({ TRANSPORT_NAME: 'unit', PUBLISH_TIMEOUT: '0.1' });
  const connection = { canPublish: true, publishing: { manager }, closingDeadline: new ClosingDeadline(config.publishTimeoutMs) };
  return { publisher: new MessagePublisher(config, connection as unknown as AmqpConnectionService), channels };
}

const body = Buffer.from('{}');

describe('MessagePublisher after a nack', () => {
  it('answers the nacked publish as rejected and publishes the next one on a fresh channel', async () => {
    const { publisher, channels } = create([true, false]);
    await expect(publisher.publish('unit.inbound', body)).rejects.toEqual(
      expect.objectContaining({ reason: 'rejected' }) as BrokerUnavailableError,
    );
    expect(channels).toHaveLength(2);
    await expect(publisher.publish('unit.inbound', body)).resolves.toBeUndefined();
    expect(channels.map((channel) => channel.publishes)).toEqual([1, 1]);
    expect(publisher.channelRenewals).toBe(1);
    await publisher.close();
    expect(channels.every((channel) => channel.closed)).toBe(true);
  });

  it('renews once per channel however many of its publishes are nacked', async () => {
    const { publisher, channels } = create([true, true, false]);
    const results = await Promise.allSettled([1, 2, 3].map(() => publisher.publish('unit.inbound', body)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(channels).toHaveLength(2); // three nacks on the first channel: one renewal
    await expect(publisher.publish('unit.inbound', body)).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(channels).toHaveLength(3); // the second channel nacked too: renewed again
    await expect(publisher.publish('unit.inbound', body)).resolves.toBeUndefined();
    await publisher.close();
  });

  it('keeps at most 8 replaced channels open while they settle, however long the broker nacks', async () => {
    const { publisher, channels } = create(Array.from({ length: 50 }, () => true));
    for (let i = 0; i < 20; i++) await publisher.publish('unit.inbound', body).catch(() => undefined);
    expect(publisher.channelRenewals).toBe(8);
    expect(channels).toHaveLength(9); // the first, and 8 renewals; the 9th keeps nacking until an old one closes
    await publisher.close();
    expect(channels.every((channel) => channel.closed)).toBe(true);
  });
});
