import { connect } from 'amqplib';
import { PrivateBroker } from './support/private-broker';

// The helper itself: a private node goes down for real and comes back with its durable state.
describe('PrivateBroker', () => {
  let broker: PrivateBroker | undefined;

  afterAll(async () => {
    await broker?.destroy();
  });

  it('keeps a persistent message in a durable queue across stop and restart', async () => {
    broker = await PrivateBroker.start();
    const queue = 'private-broker.e2e';
    const body = `hello ${Date.now()}`;

    const before = await connect(broker.url);
    const publisher = await before.createConfirmChannel();
    await publisher.assertQueue(queue, { durable: true });
    publisher.sendToQueue(queue, Buffer.from(body), { persistent: true });
    await publisher.waitForConfirms(); // on disk before we pull the plug
    await before.close();

    await broker.stop();
    await expect(connect(broker.url, { timeout: 2_000 })).rejects.toThrow();

    await broker.restart();
    const after = await connect(broker.url);
    try {
      const consumer = await after.createChannel();
      const message = await consumer.get(queue, { noAck: true });
      expect(message && message.content.toString()).toBe(body);
    } finally {
      await after.close();
    }
  }, 180_000);
});
