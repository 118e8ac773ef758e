import { Channel, ConsumeMessage } from 'amqplib';
import { DeliveryAcks } from './delivery-acks';

/** Records the frames a channel would send: [method, deliveryTag, multiple]. */
class RecordingChannel {
  frames: Array<[string, number, boolean]> = [];
  closed = false;
  ack(message: ConsumeMessage, allUpTo = false): void {
    if (this.closed) throw new Error('Channel closed');
    this.frames.push(['ack', message.fields.deliveryTag, allUpTo]);
  }
  nack(message: ConsumeMessage, allUpTo = false, requeue = true): void {
    if (this.closed) throw new Error('Channel closed');
    this.frames.push([requeue ? 'requeue' : 'drop', message.fields.deliveryTag, allUpTo]);
  }
}

const delivery = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DeliveryAcks', () => {
  let channel: RecordingChannel;
  let errors: Error[];
  let acks: DeliveryAcks;

  beforeEach(() => {
    channel = new RecordingChannel();
    errors = [];
    acks = new DeliveryAcks(channel as unknown as Channel, (error) => errors.push(error));
  });

  it('sends nothing until the end of the turn, then one ack with multiple for a run of tags', async () => {
    for (const tag of [2, 1, 3]) acks.ack(delivery(tag));
    expect(channel.frames).toEqual([]);
    await nextTurn();
    expect(channel.frames).toEqual([['ack', 3, true]]);
  });

  it('acks one by one what lies beyond a delivery still in hand, and never covers the one in hand', async () => {
    for (const tag of [1, 2, 4, 5]) acks.ack(delivery(tag));
    await nextTurn();
    expect(channel.frames).toEqual([
      ['ack', 2, true],
      ['ack', 4, false],
      ['ack', 5, false],
    ]);
    channel.frames = [];
    acks.ack(delivery(3)); // the slow one, then later ones: the run goes on over 4 and 5
    acks.ack(delivery(6));
    await nextTurn();
    expect(channel.frames).toEqual([['ack', 6, true]]);
  });

  it('requeues at once and lets the run pass over the requeued tag, naming only a handled tag in multiple', async () => {
    acks.ack(delivery(1));
    acks.requeue(delivery(2));
    expect(channel.frames).toEqual([['requeue', 2, false]]);
    acks.ack(delivery(3));
    await nextTurn();
    expect(channel.frames).toEqual([
      ['requeue', 2, false],
      ['ack', 3, true],
    ]);
  });

  it('ends a run on a requeued tag with the last handled one before it', async () => {
    acks.requeue(delivery(1));
    acks.ack(delivery(2));
    acks.requeue(delivery(3));
    await nextTurn();
    expect(channel.frames).toEqual([
      ['requeue', 1, false],
      ['requeue', 3, false],
      ['ack', 2, true],
    ]);
    channel.frames = [];
    acks.ack(delivery(4));
    await nextTurn();
    expect(channel.frames).toEqual([['ack', 4, true]]);
  });

  it('flush() sends what is ready at once (before the channel closes)', () => {
    acks.ack(delivery(1));
    acks.flush();
    expect(channel.frames).toEqual([['ack', 1, true]]);
  });

  it('reports a closed channel instead of throwing (the broker redelivers its deliveries)', async () => {
    channel.closed = true;
    acks.ack(delivery(1));
    await nextTurn();
    expect(errors).toHaveLength(1);
  });

  it('keeps batching over many turns with deliveries settled out of order', async () => {
    let tag = 0;
    const acked = new Set<number>();
    for (let turn = 0; turn < 50; turn++) {
      const batch = Array.from({ length: 7 }, () => ++tag).reverse();
      for (const t of batch) acks.ack(delivery(t));
      await nextTurn();
    }
    // Every frame is a multiple ack of the highest tag of its turn: 50 frames for 350 deliveries.
    expect(channel.frames).toHaveLength(50);
    for (const [method, t, multiple] of channel.frames) {
      expect([method, multiple]).toEqual(['ack', true]);
      acked.add(t);
    }
    expect(Math.max(...acked)).toBe(350);
  });
});
