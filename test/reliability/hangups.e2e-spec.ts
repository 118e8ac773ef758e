import { JsonObject } from '../../src/wire/vumi-message';
import { call, RawClient } from '../support/http-call';
import { AMQP_URL, ServiceProcess } from '../support/service-process';
import { StallProxy } from '../support/stall-proxy';
import { VumiPeer } from '../support/vumi-peer';

/**
 * Callers that hang up before, during and after the publish of their
 * message. (In vumi2 a hang-up in mid-publish corrupts the AMQP channel and
 * kills the worker.) The services talk to the broker through a proxy that
 * can stall, which makes "during the publish" exact: the publish has left the
 * service and its confirm has not come back when the caller goes.
 */

/** More than a heartbeat frame: a publish (method, header and body frames) has reached the proxy. */
const A_PUBLISH = 200;
const valid = (from: string) => ({ to_addr: '555', from_addr: from, content: 'hello' });

/** A fetch to abort at will; its failure (AbortError) is expected and swallowed. */
function abortable(url: string): { abort: () => void; done: Promise<unknown> } {
  const controller = new AbortController();
  const done = fetch(url, { signal: controller.signal })
    .then((r) => r.text())
    .catch(() => undefined);
  return { abort: () => controller.abort(), done };
}

async function healthHolds(service: ServiceProcess, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const health = await call(service.path('health'));
    if (health.body.includes(`"pending_requests":${count}`)) return;
    if (Date.now() >= deadline) throw new Error(`pending_requests is not ${count}: ${health.body}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('callers that hang up', () => {
  let proxy: StallProxy;
  let fireAndForget: ServiceProcess;
  let replyMode: ServiceProcess;
  let ffPeer: VumiPeer;
  let replyPeer: VumiPeer;

  beforeAll(async () => {
    proxy = await StallProxy.start(AMQP_URL);
    const common = { AMQP_URL: proxy.urlFor(AMQP_URL), PUBLISH_TIMEOUT: '20', AMQP_HEARTBEAT: '60' };
    [fireAndForget, replyMode] = await Promise.all([
      ServiceProcess.start(common),
      ServiceProcess.start({ ...common, REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '60' }),
    ]);
    ffPeer = await VumiPeer.connect(AMQP_URL, fireAndForget.transportName);
    replyPeer = await VumiPeer.connect(AMQP_URL, replyMode.transportName);
  });

  afterAll(async () => {
    proxy?.resume();
    const exits = [await fireAndForget?.stop(), await replyMode?.stop()];
    await ffPeer?.destroy();
    await replyPeer?.destroy();
    await proxy?.stop();
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });

  afterEach(() => {
    proxy.resume();
    for (const service of [fireAndForget, replyMode]) {
      expect(service.hasExited).toBe(false);
      expect(service.errorLines()).toEqual([]);
      expect(service.output()).not.toMatch(/channel error|Could not settle/i);
    }
  });

  it('before the publish: a caller gone mid-body leaves nothing behind', async () => {
    for (let n = 0; n < 50; n++) {
      const client = await RawClient.open(fireAndForget.url);
      client.write(
        `POST ${fireAndForget.config.webPath} HTTP/1.1\r\nHost: x\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nto_addr=1&from',
      );
      client.destroy();
    }
    const ok = await call(fireAndForget.api(valid('after')));
    expect(ok.status).toBe(200);
    expect((await ffPeer.nextInbound()).from_addr).toBe('after');
    expect(await ffPeer.depth(ffPeer.keys.inbound)).toBe(0);
  });

  it('during the publish: the message is still confirmed and delivered, and the channel stays whole', async () => {
    proxy.stall();
    const gone = 10;
    for (let n = 0; n < gone; n++) {
      const held = proxy.heldBytes;
      const request = abortable(fireAndForget.api(valid(`gone ${n}`)));
      await proxy.waitForHeldBytes(held + A_PUBLISH); // its publish is on the wire, unconfirmed
      request.abort();
      await request.done;
    }
    proxy.resume(); // the confirms come back to callers who are gone
    const from = new Set<unknown>();
    for (let n = 0; n < gone; n++) from.add((await ffPeer.nextInbound()).from_addr);
    expect(from.size).toBe(gone);

    const ok = await call(fireAndForget.api(valid('after')));
    expect(ok.status).toBe(200);
    expect((await ffPeer.nextInbound()).message_id).toBe((JSON.parse(ok.body) as { message_id: string }).message_id);
  });

  it('during the publish, in reply mode: the held request is dropped and its reply nacked', async () => {
    proxy.stall();
    const held = proxy.heldBytes;
    const request = abortable(replyMode.api(valid('gone mid-publish')));
    await proxy.waitForHeldBytes(held + A_PUBLISH);
    request.abort();
    await request.done;
    await healthHolds(replyMode, 0);
    proxy.resume();

    const inbound = await replyPeer.nextInbound();
    const reply = await replyPeer.reply(inbound, 'too late');
    expect(await replyPeer.nextEvent()).toMatchObject({
      event_type: 'nack',
      user_message_id: reply.message_id,
      nack_reason: 'No matching request',
    });
  });

  it('after the publish, while held: the request is dropped and its reply nacked', async () => {
    const request = abortable(replyMode.api(valid('gone while held')));
    const inbound = await replyPeer.nextInbound();
    await healthHolds(replyMode, 1);
    request.abort();
    await healthHolds(replyMode, 0);
    await replyPeer.reply(inbound, 'nobody there');
    expect(await replyPeer.nextEvent()).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });
  });

  it('many callers hanging up at random moments: every reply is answered or nacked, and service goes on', async () => {
    const callers = 300;
    // Two in three hang up at a random moment (before, during or after the publish); the others wait.
    const keepers: Array<Promise<Response>> = [];
    const quitters: Array<Promise<unknown>> = [];
    for (let n = 0; n < callers; n++) {
      const url = replyMode.api(valid(`random ${n}`));
      if (n % 3 === 0) keepers.push(fetch(url));
      else {
        const request = abortable(url);
        setTimeout(request.abort, Math.floor(Math.random() * 100));
        quitters.push(request.done);
      }
    }
    await Promise.all(quitters);
    await healthHolds(replyMode, keepers.length); // the keepers' messages are all published (hold comes first)
    // A request after them all: published after every message of theirs that was published at all.
    const next = fetch(replyMode.api(valid('still served')));
    const published: JsonObject[] = [];
    let sentinel: JsonObject;
    while ((sentinel = await replyPeer.nextInbound()).from_addr !== 'still served') published.push(sentinel);

    // Whatever was published gets a reply; each reply gets exactly one event: ack if its caller waited, else nack.
    const replies: JsonObject[] = [];
    for (const inbound of published) replies.push(await replyPeer.reply(inbound, 'late'));
    const events = new Map<unknown, unknown>();
    for (let n = 0; n < replies.length; n++) {
      const event = await replyPeer.nextEvent();
      events.set(event.user_message_id, event.event_type);
    }
    expect([...events.keys()].sort()).toEqual(replies.map((r) => r.message_id).sort());
    expect(await replyPeer.waitForDepth(replyPeer.keys.outbound, 0)).toBe(0);
    for (const answer of await Promise.all(keepers)) expect([answer.status, await answer.text()]).toEqual([200, 'late']);
    const acked = [...events.values()].filter((type) => type === 'ack').length;
    expect(acked).toBe(keepers.length);

    await replyPeer.reply(sentinel, 'yes');
    const answer = await next;
    expect([answer.status, await answer.text()]).toEqual([200, 'yes']);
    expect(await replyPeer.nextEvent()).toMatchObject({ event_type: 'ack' });
    await healthHolds(replyMode, 0);
    process.stdout.write(
      `hang-up figures: ${callers} callers, ${quitters.length} hanging up at random; ${published.length} messages ` +
        `published; their replies: ${acked} acked (caller still there), ${replies.length - acked} nacked (caller gone)\n`,
    );
  });
});
