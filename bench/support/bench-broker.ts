import { Channel, ChannelModel, connect } from 'amqplib';
import { sleep } from './processes';

/**
 * The benchmark's own broker connection, apart from the targets': purges the
 * queues fire-and-forget fills between rounds, reads depths, and deletes the
 * benchmark's queues at the end. A failed queue operation closes an AMQP
 * channel, so each one that may fail gets a fresh channel.
 */
export class BenchBroker {
  private constructor(private readonly connection: ChannelModel) {}

  static async connect(url: string): Promise<BenchBroker> {
    return new BenchBroker(await connect(url));
  }

  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T | undefined> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined); // a missing queue: reported by the rejected call
    try {
      return await work(channel);
    } catch {
      return undefined;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Messages ready in `queue`; undefined when it does not exist. */
  async depth(queue: string): Promise<number | undefined> {
    return this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  async consumers(queue: string): Promise<number> {
    return (await this.withChannel(async (channel) => (await channel.checkQueue(queue)).consumerCount)) ?? 0;
  }

  async purge(queues: string[]): Promise<number> {
    let purged = 0;
    for (const queue of queues) {
      purged += (await this.withChannel(async (channel) => (await channel.purgeQueue(queue)).messageCount)) ?? 0;
    }
    return purged;
  }

  async deleteQueues(queues: string[]): Promise<void> {
    for (const queue of queues) await this.withChannel((channel) => channel.deleteQueue(queue));
  }

  /** Waits until `queue` has at least `count` messages, or `ms` pass; returns the last depth seen. */
  async waitForDepth(queue: string, count: number, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    let depth = 0;
    while (Date.now() < deadline) {
      depth = (await this.depth(queue)) ?? 0;
      if (depth >= count) return depth;
      await sleep(200);
    }
    return depth;
  }

  async waitForConsumer(queue: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await this.consumers(queue)) > 0) return true;
      await sleep(100);
    }
    return false;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
