import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { VUMI_EXCHANGE, routingKeysFor } from '../../src/wire/vumi-topology';
import { AmqpTopology } from '../../src/broker/amqp-topology';
import { encodeMessage } from '../../src/wire/vumi-serializer';
import { buildReply, decodeJsonObject } from '../../src/wire/vumi-application';
import { JsonObject } from '../../src/wire/vumi-message';

/** Reads one queue into a buffer; next() waits for the next message with a deadline. */
class QueueReader {
  private readonly buffered: ConsumeMessage[] = [];
  private readonly waiters: Array<(message: ConsumeMessage) => void> = [];

  push(message: ConsumeMessage): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(message);
    else this.buffered.push(message);
  }

  get count(): number {
    return this.buffered.length;
  }

  next(timeoutMs: number, what: string): Promise<ConsumeMessage> {
    const ready = this.buffered.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`No ${what} message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (message: ConsumeMessage) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push(waiter);
    });
  }
}

/**
 * The application side of a transport, for end-to-end tests: reads what the
 * service publishes and publishes what a Vumi application would.
 */
export class VumiPeer {
  private readers = new Map<string, QueueReader>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly transportName: string,
  ) {}

  static async connect(url: string, transportName: string): Promise<VumiPeer> {
    const connection = await connect(url);
    const channel = await connection.createChannel();
    // As a Vumi worker declares them: classic, durable, no arguments.
    const topology = new AmqpTopology(transportName);
    const { inbound, event, outbound, status } = topology.keys;
    await topology.declareQueues(channel, [inbound, event, outbound, status]);
    return new VumiPeer(connection, channel, transportName);
  }

  get keys() {
    return routingKeysFor(this.transportName);
  }

  /** Starts reading a queue (inbound, event, status); idempotent. */
  async read(queue: string): Promise<QueueReader> {
    const reader = this.readers.get(queue);
    if (reader) return reader;
    const created = new QueueReader();
    this.readers.set(queue, created);
    await this.channel.consume(queue, (message) => message && created.push(message), { noAck: true });
    return created;
  }

  async nextRaw(queue: string, timeoutMs = 5000): Promise<ConsumeMessage> {
    return (await this.read(queue)).next(timeoutMs, queue);
  }

  async nextInbound(timeoutMs = 5000): Promise<JsonObject> {
    return decodeJsonObject((await this.nextRaw(this.keys.inbound, timeoutMs)).content);
  }

  async nextEvent(timeoutMs = 5000): Promise<JsonObject> {
    return decodeJsonObject((await this.nextRaw(this.keys.event, timeoutMs)).content);
  }

  /** The next event about `messageId` (an ack or nack of it), skipping events about other messages; each waited for up to `timeoutMs`. */
  async eventFor(messageId: string, timeoutMs = 5000): Promise<JsonObject> {
    for (;;) {
      const event = await this.nextEvent(timeoutMs);
      if (event.user_message_id === messageId) return event;
    }
  }

  async nextStatus(timeoutMs = 5000): Promise<JsonObject> {
    return decodeJsonObject((await this.nextRaw(this.keys.status, timeoutMs)).content);
  }

  /** Publishes on `<transport>.outbound` as an application would. */
  publishOutbound(message: JsonObject | Buffer | string): Promise<void> {
    const body = Buffer.isBuffer(message) ? message : typeof message === 'string' ? Buffer.from(message) : encodeMessage(message);
    this.channel.publish(VUMI_EXCHANGE, this.keys.outbound, body, { persistent: true });
    return Promise.resolve();
  }

  /** Replies to an inbound message the way Vumi's `msg.reply(content)` does; returns the reply. */
  async reply(inbound: JsonObject, content: string): Promise<JsonObject> {
    const reply = buildReply(inbound, content);
    await this.publishOutbound(reply);
    return reply;
  }

  /** Messages currently in a queue (not consumed by this peer). */
  async depth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /** Ready messages and consumers of a queue, as the broker counts them. */
  async consumers(queue: string): Promise<{ consumers: number; messages: number }> {
    const { consumerCount, messageCount } = await this.channel.checkQueue(queue);
    return { consumers: consumerCount, messages: messageCount };
  }

  /** Polls a queue's depth until it is `expected` (the broker settles acks and requeues asynchronously). */
  async waitForDepth(queue: string, expected: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const depth = await this.depth(queue);
      if (depth === expected) return depth;
      if (Date.now() >= deadline) throw new Error(`${queue} holds ${depth} messages, not ${expected}, after ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  /** Deletes the transport's queues and closes the connection. */
  async destroy(): Promise<void> {
    const keys = this.keys;
    for (const queue of [keys.inbound, keys.event, keys.outbound, keys.status]) {
      await this.channel.deleteQueue(queue).catch(() => undefined);
    }
    await this.connection.close().catch(() => undefined);
  }
}
