import { decodeJsonObject } from '../../src/wire/vumi-application';
import { AmqpConnection, connectWithRetry } from './private-broker';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A connection to `url` for one use, closed afterwards whatever happens (a dying node may error it). */
export async function withBroker<T>(url: string, use: (connection: AmqpConnection) => Promise<T>): Promise<T> {
  const connection = await connectWithRetry(url, 20_000);
  connection.on('error', () => undefined);
  try {
    return await use(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Takes every message off a queue through `url`: the count of each message_id
 * (a count above 1 is a duplicate). Done when the queue is empty and nothing
 * arrived for 1.5 s; passive, so the queue's type does not matter.
 */
export async function drainQueue(url: string, queue: string): Promise<Map<string, number>> {
  return withBroker(url, async (connection) => {
    const channel = await connection.createChannel();
    await channel.prefetch(1000);
    const seen = new Map<string, number>();
    let lastArrival = Date.now();
    await channel.consume(queue, (message) => {
      if (!message) return;
      const id = decodeJsonObject(message.content).message_id as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      lastArrival = Date.now();
      channel.ack(message);
    });
    const deadline = Date.now() + 60_000;
    while ((await channel.checkQueue(queue)).messageCount > 0 || Date.now() - lastArrival < 1_500) {
      if (Date.now() >= deadline) throw new Error(`${queue} not drained within 60 s (${seen.size} read)`);
      await sleep(100);
    }
    return seen;
  });
}
