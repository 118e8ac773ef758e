import { connect, Socket } from 'node:net';
import { inspect } from 'node:util';

/** What a test needs of an HTTP answer, read in full, with how long it took. */
export interface Answer {
  status: number;
  headers: Headers;
  body: string;
  ms: number;
}

/** A fetch that never throws on a status, reads the body, and times the call. */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
}

/** A failed call in one line: fetch says `fetch failed` and gives the reason (ECONNRESET, ...) as the cause. */
export function callFailure(error: unknown): string {
  const { message, cause } = error as Error;
  const detail = cause === undefined || cause === null ? '' : cause instanceof Error ? String(cause) : inspect(cause);
  return `${message} ${detail}`;
}

/** Polls `url` until it answers `status`; fails after `timeoutMs` with the last answer. */
export async function waitForStatus(url: string, status: number, timeoutMs = 10_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | Error | undefined;
  for (;;) {
    try {
      last = await call(url, { signal: AbortSignal.timeout(2_000) });
      if (last.status === status) return last;
    } catch (error) {
      last = error as Error;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : `${last?.status} ${last?.body}`;
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${seen})`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** A raw TCP connection to an HTTP server, for clients that misbehave on purpose. */
export class RawClient {
  private received = '';
  private closedAt: number | undefined;
  readonly openedAt = performance.now();
  private readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (this.received += text));
    socket.on('error', () => undefined); // a reset by the server is an outcome, read through `closed`
    this.closed = new Promise((done) =>
      socket.once('close', () => {
        this.closedAt = performance.now();
        done();
      }),
    );
  }

  static open(url: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    return new Promise((done, fail) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => done(new RawClient(socket)));
      socket.once('error', fail);
    });
  }

  write(text: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  get text(): string {
    return this.received;
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Waits until the server closes the connection; ms from opening to the close. */
  async waitClosed(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
    return (this.closedAt as number) - this.openedAt;
  }

  /** Waits until the received text contains `what`. */
  async waitFor(what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.received.includes(what)) {
      if (Date.now() >= deadline) throw new Error(`"${what}" not received within ${timeoutMs} ms: ${this.received}`);
      if (this.isClosed) throw new Error(`connection closed before "${what}": ${this.received}`);
      await new Promise((done) => setTimeout(done, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
