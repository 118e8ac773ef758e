import { freePort, PrivateBroker } from './support/private-broker';
import { call } from './support/http-call';
import { MetricsReader } from './support/metrics-scrape';
import { REDIS_URL, servicesCleaningRedis } from './support/redis';
import { TestService, uniqueTransportName } from './support/test-service';
import { VumiPeer } from './support/vumi-peer';
import { anyString } from './support/matchers';

const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };

/** A request with an Idempotency-Key (sent as the IETF draft's sf-string unless `raw`). */
function send(service: TestService, key: string, fields: Record<string, string> = COMPLETE, raw = false) {
  return call(service.api(fields), { headers: { 'Idempotency-Key': raw ? key : `"${key}"` } });
}

function messageIdOf(body: string): string {
  return (JSON.parse(body) as { message_id: string }).message_id;
}

/** Idempotent retries (issue 8) on the real broker, in memory and through the real Redis. */
describe('Idempotency-Key', () => {
  const services = servicesCleaningRedis();
  const start = (env: Record<string, string> = {}) => services.start(env);

  describe('fire-and-forget', () => {
    it('answers a retry after success with the same message_id and publishes nothing', async () => {
      const s = await start();
      const first = await send(s, 'order-1');
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // Confirmed before the 200, so it is in the queue now.
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1);

      const retry = await send(s, 'order-1');
      expect(retry.status).toBe(200);
      expect(retry.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(messageIdOf(retry.body)).toBe(messageIdOf(first.body));
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1);

      // A bare token names the same key; a new key publishes again.
      expect(messageIdOf((await send(s, 'order-1', COMPLETE, true)).body)).toBe(messageIdOf(first.body));
      const other = await send(s, 'order-2');
      expect(messageIdOf(other.body)).not.toBe(messageIdOf(first.body));
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(2);

      const metrics = new MetricsReader(`${s.url}/metrics`);
      expect(await metrics.value('vumi_http_api_idempotent_replays_total', { caller: ':none' })).toBe(2);
    });

    it('answers 422 to the same key with different fields, publishing nothing', async () => {
      const s = await start();
      expect((await send(s, 'k')).status).toBe(200);
      const changed = await send(s, 'k', { ...COMPLETE, content: 'changed' });
      expect(changed.status).toBe(422);
      expect(changed.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(JSON.parse(changed.body)).toEqual({ error: 'idempotency_key_reused', message: anyString() });
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1);
    });

    it('compares the validated fields: the same message sent as JSON is the same request', async () => {
      const s = await start();
      const first = await send(s, 'json');
      const asJson = await call(s.api(), {
        method: 'POST',
        headers: { 'Idempotency-Key': '"json"', 'Content-Type': 'application/json' },
        body: JSON.stringify(COMPLETE),
      });
      expect(asJson.status).toBe(200);
      expect(messageIdOf(asJson.body)).toBe(messageIdOf(first.body));
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1);
    });

    it.each([
      ['empty', '""'],
      ['an unclosed sf-string', '"abc'],
      ['two keys', '"a", "b"'],
      ['too long', `"${'x'.repeat(256)}"`],
    ])('answers 400 to a key that is %s', async (_what, header) => {
      const s = await start();
      const answer = await call(s.api(COMPLETE), { headers: { 'Idempotency-Key': header } });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_idempotency_key' });
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
    });

    it('deduplicates across two instances sharing Redis', async () => {
      const transport = uniqueTransportName('idem');
      const env = { TRANSPORT_NAME: transport, REDIS_URL };
      const a = await start({ ...env, INSTANCE_ID: 'idem-a' });
      const b = await start({ ...env, INSTANCE_ID: 'idem-b' });

      const first = await send(a, 'shared-1');
      expect(first.status).toBe(200);
      const retry = await send(b, 'shared-1');
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(messageIdOf(retry.body)).toBe(messageIdOf(first.body));
      expect((await send(b, 'shared-1', { ...COMPLETE, content: 'other' })).status).toBe(422);
      expect(await a.peer.depth(a.peer.keys.inbound)).toBe(1);
    });
  });

  describe('reply mode', () => {
    const replyEnv = { REPLY_EXPECTED: 'true', REDIS_URL };

    it('answers 409 while the first is held, then the same reply to a repeat, publishing once', async () => {
      const s = await start(replyEnv);
      const first = send(s, 'ussd-1');
      const inbound = await s.peer.nextInbound();

      const inFlight = await send(s, 'ussd-1');
      expect(inFlight.status).toBe(409);
      expect(inFlight.headers.get('retry-after')).toBe('1');
      expect(JSON.parse(inFlight.body)).toEqual({ error: 'idempotency_key_in_flight', message: anyString() });
      expect((await send(s, 'ussd-1', { ...COMPLETE, content: 'other' })).status).toBe(422);

      await s.peer.reply(inbound, 'Your balance is 42');
      const answer = await first;
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('Your balance is 42');

      const repeat = await send(s, 'ussd-1');
      expect(repeat.status).toBe(200);
      expect(repeat.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.body).toBe('Your balance is 42');

      // Messages leave in order: had the repeat published a copy, it would come before this one.
      const marker = send(s, 'ussd-2', { ...COMPLETE, content: 'marker' });
      const next = await s.peer.nextInbound();
      expect(next).toMatchObject({ content: 'marker' });
      await s.peer.reply(next, 'ok');
      expect((await marker).status).toBe(200);
    });

    it('gives a repeat after a time-out the same time-out answer, publishing nothing', async () => {
      const s = await start({
        ...replyEnv,
        REQUEST_TIMEOUT: '1',
        REQUEST_CLEANUP_INTERVAL: '1',
        REQUEST_TIMEOUT_STATUS_CODE: '504',
        REQUEST_TIMEOUT_BODY: 'no reply in time',
      });
      const first = send(s, 'slow-1');
      await s.peer.nextInbound();
      const timedOut = await first;
      expect(timedOut.status).toBe(504);
      expect(timedOut.body).toBe('no reply in time');

      const repeat = await send(s, 'slow-1');
      expect(repeat.status).toBe(504);
      expect(repeat.body).toBe('no reply in time');
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');

      const marker = send(s, 'slow-2', { ...COMPLETE, content: 'marker' });
      expect(await s.peer.nextInbound()).toMatchObject({ content: 'marker' });
      expect((await marker).status).toBe(504);
    });
  });

  it("answers 503 to a keyed request while Redis is away, and serves the rest within limits kept in the instance's memory", async () => {
    // Nothing listens on this port: Redis is down from the start (the service still boots).
    const s = await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_RATE: '0.01', RATE_LIMIT_BURST: '3' });
    const keyed = await send(s, 'no-redis');
    expect(keyed.status).toBe(503);
    expect(keyed.headers.get('retry-after')).toBe(String(s.config.retryAfter));
    expect(JSON.parse(keyed.body)).toEqual({ error: 'idempotency_store_unavailable', message: anyString() });
    // Without a key nothing needs the store; the limiter falls back to memory (the keyed request took a token).
    expect((await call(s.api(COMPLETE))).status).toBe(200);
    expect((await call(s.api(COMPLETE))).status).toBe(200);
    expect((await call(s.api(COMPLETE))).status).toBe(429);
    expect(await s.peer.depth(s.peer.keys.inbound)).toBe(2);
  });

  describe('with the broker away', () => {
    let broker: PrivateBroker | undefined;

    afterAll(async () => {
      await broker?.destroy();
    }, 120_000);

    it('never stores a key for a 503: the retry after the outage publishes exactly once', async () => {
      broker = await PrivateBroker.start();
      const s = await start({ AMQP_URL: broker.url, PUBLISH_TIMEOUT: '2' });
      await broker.stop();

      const refused = await send(s, 'outage-1');
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'broker_unavailable' });

      await broker.restart();
      // The caller's retry loop: the same key until it is accepted, with a deadline.
      const deadline = Date.now() + 30_000;
      let accepted = await send(s, 'outage-1');
      while (accepted.status === 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        accepted = await send(s, 'outage-1');
      }
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('idempotent-replayed')).toBeNull();
      const again = await send(s, 'outage-1');
      expect(messageIdOf(again.body)).toBe(messageIdOf(accepted.body));

      const checker = await VumiPeer.connect(broker.url, s.config.transportName);
      try {
        expect(await checker.depth(checker.keys.inbound)).toBe(1);
        expect(await checker.nextInbound(10_000)).toMatchObject({ message_id: messageIdOf(accepted.body) });
      } finally {
        await checker.destroy();
      }
    }, 180_000);
  });
});
