import { JsonObject } from '../../src/wire/vumi-message';
import { Answer, call, RawClient } from '../support/http-call';
import { LoadLoop } from '../support/load-loop';
import { AMQP_URL, ServiceProcess } from '../support/service-process';
import { StallProxy } from '../support/stall-proxy';
import { VumiPeer } from '../support/vumi-peer';

/**
 * Overload: every resource a caller can tie up has a bound, and past it the
 * caller gets an answer (503, 408, 413) instead of the service growing.
 * One reply-mode service as a child process, talking to the broker through a
 * proxy the tests can stall.
 */

const HEADERS_TIMEOUT_S = 2;
const REQUEST_TIMEOUT_S = 3;
const KEEP_ALIVE_TIMEOUT_S = 1;
const PUBLISH_TIMEOUT_S = 2;
const MAX_HELD = 5;
const MAX_PUBLISHES = 3;
const BODY_LIMIT = 1024;
/** Scheduling slack on a shared 2-core machine. */
const MARGIN_MS = 3_000;

describe('overload', () => {
  let proxy: StallProxy;
  let service: ServiceProcess;
  let peer: VumiPeer;

  beforeAll(async () => {
    proxy = await StallProxy.start(AMQP_URL);
    service = await ServiceProcess.start({
      AMQP_URL: proxy.urlFor(AMQP_URL),
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '60',
      MAX_PENDING_REQUESTS: String(MAX_HELD),
      // The whole instance's bound, from one client: its share may be all of it (the share: hostile-memory.e2e-spec.ts).
      MAX_PENDING_PER_CLIENT: String(MAX_HELD),
      MAX_PENDING_PUBLISHES: String(MAX_PUBLISHES),
      PUBLISH_TIMEOUT: String(PUBLISH_TIMEOUT_S),
      HTTP_HEADERS_TIMEOUT: String(HEADERS_TIMEOUT_S),
      HTTP_REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_S),
      HTTP_KEEP_ALIVE_TIMEOUT: String(KEEP_ALIVE_TIMEOUT_S),
      BODY_LIMIT: String(BODY_LIMIT),
    });
    peer = await VumiPeer.connect(AMQP_URL, service.transportName);
  });

  afterAll(async () => {
    proxy?.resume();
    await service?.stop();
    await peer?.destroy();
    await proxy?.stop();
  });

  afterEach(() => {
    expect(service.errorLines()).toEqual([]);
  });

  /** The next inbound message sent by `from`, skipping others (e.g. late copies of timed-out publishes). */
  async function inboundFrom(from: string): Promise<JsonObject> {
    for (;;) {
      const message = await peer.nextInbound(10_000);
      if (message.from_addr === from) return message;
    }
  }

  /** A call whose failure is reported where it is awaited, never as an unhandled rejection after the test. */
  const hold = (from: string) => {
    const answer = call(service.api({ to_addr: '555', from_addr: from, content: 'hi' }));
    answer.catch(() => undefined);
    return answer;
  };

  /** A held request: its answer to come and its inbound message; fails at once if it is answered instead. */
  async function holdOne(from: string): Promise<{ answer: Promise<Answer>; inbound: JsonObject }> {
    const answer = hold(from);
    const early = answer.then((a) => Promise.reject(new Error(`${from}: answered ${a.status} ${a.body}, not held`)));
    early.catch(() => undefined);
    return { answer, inbound: await Promise.race([inboundFrom(from), early]) };
  }

  it('past MAX_PENDING_REQUESTS held requests, new requests get 503 and memory stays flat', async () => {
    // One at a time: MAX_PENDING_PUBLISHES (3) bounds concurrent publishes, and this is about held requests.
    const held: Array<Promise<Answer>> = [];
    const inbound: JsonObject[] = [];
    for (let n = 0; n < MAX_HELD; n++) {
      const one = await holdOne(`held ${n}`);
      held.push(one.answer);
      inbound.push(one.inbound);
    }

    const refused = await hold('one too many');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe(String(service.config.retryAfter));
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'overloaded' });

    const before = service.rss();
    const load = new LoadLoop({
      url: (n) => service.api({ to_addr: '555', from_addr: `flood ${n}`, content: 'x' }),
      concurrency: 8,
      maxCalls: 3_000,
      hangMs: 10_000,
    });
    const flood = await load.waitFor('refusals', (r) => r.status === 503, 3_000, 60_000).then(() => load.stop());
    const growth = service.rss() - before;
    expect(flood.every((r) => r.status === 503 && r.retryAfter !== null)).toBe(true);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
    expect(await peer.depth(peer.keys.inbound)).toBe(0); // nothing refused was published

    for (const message of inbound) await peer.reply(message, `reply to ${String(message.from_addr)}`);
    const answers = await Promise.all(held);
    answers.forEach((answer, n) => expect(answer).toMatchObject({ status: 200, body: `reply to held ${n}` }));

    // Room again: the next request is held and answered.
    const next = await holdOne('after');
    await peer.reply(next.inbound, 'room again');
    expect(await next.answer).toMatchObject({ status: 200, body: 'room again' });
    process.stdout.write(
      `overload figures: 3000 refused requests while ${MAX_HELD} held, RSS growth ${(growth / 1048576).toFixed(1)} MB\n`,
    );
  });

  it('a client sending its headers slowly (slowloris) is cut off after HTTP_HEADERS_TIMEOUT', async () => {
    const client = await RawClient.open(service.url);
    client.write(`GET ${new URL(service.api({ to_addr: '1' })).pathname} HTTP/1.1\r\nHost: x\r\n`);
    let n = 0;
    const drip = setInterval(() => client.write(`X-Slow-${n++}: y\r\n`), 200);
    try {
      const ms = await client.waitClosed(HEADERS_TIMEOUT_S * 1000 + MARGIN_MS);
      expect(client.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_S * 1000 - 200);
    } finally {
      clearInterval(drip);
      client.destroy();
    }
  });

  it('a client sending its body slowly is cut off after HTTP_REQUEST_TIMEOUT', async () => {
    const client = await RawClient.open(service.url);
    client.write(
      `POST ${new URL(service.api()).pathname} HTTP/1.1\r\nHost: x\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n',
    );
    const drip = setInterval(() => client.write('a'), 200);
    try {
      const ms = await client.waitClosed(REQUEST_TIMEOUT_S * 1000 + MARGIN_MS);
      expect(client.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_S * 1000 - 200);
    } finally {
      clearInterval(drip);
      client.destroy();
    }
    await waitForHeld(0); // nothing half-read was held
  });

  it('an idle keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
    const client = await RawClient.open(service.url);
    client.write(`GET ${service.config.livenessPath} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
    await client.waitFor('"ok"', 5_000);
    const answered = performance.now();
    await client.waitClosed(KEEP_ALIVE_TIMEOUT_S * 1000 + MARGIN_MS);
    expect(performance.now() - answered).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_S * 1000 - 200);
  });

  it('bodies over BODY_LIMIT get 413, whether declared or streamed', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const declared = await call(service.api(), { method: 'POST', headers: form, body: 'a'.repeat(BODY_LIMIT + 1) });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: 'payload_too_large' });

    const streamed = await RawClient.open(service.url);
    streamed.write(
      `POST ${new URL(service.api()).pathname} HTTP/1.1\r\nHost: x\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'b'.repeat(BODY_LIMIT);
    streamed.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    streamed.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`); // never finished: the server answers anyway
    await streamed.waitFor('payload_too_large', 5_000);
    expect(streamed.text).toMatch(/^HTTP\/1\.1 413 /);
    // The rest of a refused body is read and dropped (so the caller gets its 413 rather than a reset),
    // within HTTP_REQUEST_TIMEOUT: then the connection is closed, without a second answer.
    await streamed.waitClosed(REQUEST_TIMEOUT_S * 1000 + MARGIN_MS);
    expect(streamed.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);

    // At the limit the body is read and judged on its fields (here: an unexpected one).
    const atLimit = await call(service.api(), { method: 'POST', headers: form, body: `x=${'c'.repeat(BODY_LIMIT - 2)}` });
    expect(atLimit.status).toBe(400);
    expect(JSON.parse(atLimit.body)).toMatchObject({ unexpected_parameter: ['x'] });
  });

  it('a publish waits at most PUBLISH_TIMEOUT, and past MAX_PENDING_PUBLISHES callers get 503 at once', async () => {
    proxy.stall(); // the broker looks alive but never confirms
    try {
      const waiting = Array.from({ length: MAX_PUBLISHES }, (_, n) => hold(`stalled ${n}`));
      let settled = 0;
      waiting.forEach((answer) => void answer.finally(() => settled++));
      await waitForHeld(MAX_PUBLISHES);

      const refused = await hold('no room');
      expect(settled).toBe(0); // answered while the others still wait for their confirm
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(service.config.retryAfter));

      for (const answer of await Promise.all(waiting)) {
        expect(answer.status).toBe(503);
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'broker_unavailable' });
        expect(answer.ms).toBeGreaterThanOrEqual(PUBLISH_TIMEOUT_S * 1000 - 100);
        expect(answer.ms).toBeLessThan(PUBLISH_TIMEOUT_S * 1000 + MARGIN_MS);
      }
    } finally {
      proxy.resume();
    }
    // The broker is heard again: the next request goes through.
    const next = await holdOne('after the stall');
    await peer.reply(next.inbound, 'flowing');
    expect(await next.answer).toMatchObject({ status: 200, body: 'flowing' });
  });

  async function waitForHeld(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const health = await call(service.path('health'));
      if (health.body.includes(`"pending_requests":${count}`)) return;
      if (Date.now() >= deadline) throw new Error(`not ${count} held: ${health.body}`);
      await new Promise((done) => setTimeout(done, 20));
    }
  }
});
