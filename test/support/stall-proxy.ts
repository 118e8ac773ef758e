import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy in front of the broker that can stall the client → broker
 * direction while the broker → client direction keeps flowing. With the
 * service connected through it, a stall makes the broker look alive but
 * silent: deliveries still arrive, yet publishes never get their confirm and
 * acks never reach the broker. That makes "in flight" states deterministic
 * without stopping the shared broker.
 */

interface Pair {
  client: Socket;
  upstream: Socket;
  held: Buffer[];
}

export class StallProxy {
  private readonly pairs = new Set<Pair>();
  private stalled = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on a free loopback port, forwarding to the broker of `amqpUrl`. */
  static async start(amqpUrl: string): Promise<StallProxy> {
    const url = new URL(amqpUrl);
    const target = { host: url.hostname, port: Number(url.port || 5672) };
    // `proxy` is set before any connection can come: the await below resumes before the next I/O event.
    const server = createServer((client) => proxy.accept(client));
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => done());
    });
    const proxy = new StallProxy(server, (server.address() as { port: number }).port, target);
    return proxy;
  }

  /** `amqpUrl` with its host and port replaced by the proxy's. */
  urlFor(amqpUrl: string): string {
    const url = new URL(amqpUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Bytes held back so far by the current stall: grows as the service sends frames the broker cannot hear. */
  get heldBytes(): number {
    let total = 0;
    for (const pair of this.pairs) for (const chunk of pair.held) total += chunk.length;
    return total;
  }

  /** Waits until the stall holds more than `bytes` (e.g. a publish left the service). */
  async waitForHeldBytes(bytes: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.heldBytes <= bytes) {
      if (Date.now() >= deadline) throw new Error(`the proxy holds ${this.heldBytes} bytes, not more than ${bytes}`);
      await new Promise((done) => setTimeout(done, 5));
    }
    return this.heldBytes;
  }

  /** Holds back everything clients send from now on (the broker hears nothing). */
  stall(): void {
    this.stalled = true;
  }

  /** Sends what was held back, in order, and forwards again. */
  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) {
      for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk);
    }
  }

  /** Drops every connection now (as a broker restart would); new connections are forwarded again. */
  cut(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) this.drop(pair);
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target);
    const pair: Pair = { client, upstream, held: [] };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (this.stalled) pair.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // One side gone: the other goes too, and held bytes are lost (as with a crashed client).
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.drop(pair));
      socket.on('close', () => this.drop(pair));
    }
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.held.length = 0;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
