import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { call } from './support/http-call';
import { delay, waitUntil } from './support/held-requests';
import { MetricsReader } from './support/metrics-scrape';
import { REDIS_URL, servicesCleaningRedis } from './support/redis';
import { RequestBodyInterceptor, RequestWithBody } from '../src/request-path/http-api/request-body.interceptor';
import { anyString } from './support/matchers';

/**
 * Issue 12, memory and fairness, on the real broker (and the real Redis): the
 * idempotency store's byte budget and per-client scopes, the per-client share
 * of held slots, and a held POST that lets go of its body.
 *
 * Clients are told apart the way they are behind the shipped Ingress: the
 * service trusts 127.0.0.1 as a proxy (TRUST_PROXY) and each "client" sends
 * its own X-Forwarded-For.
 */

const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };
const PROXIED = { TRUST_PROXY: '127.0.0.1' };

function from(address: string, key?: string): Record<string, string> {
  return { 'X-Forwarded-For': address, ...(key !== undefined && { 'Idempotency-Key': `"${key}"` }) };
}

function messageIdOf(body: string): string {
  return (JSON.parse(body) as { message_id: string }).message_id;
}

describe('hostile callers: memory and fairness', () => {
  const services = servicesCleaningRedis();
  const afterCleanup: Array<() => void> = [];
  afterEach(() => afterCleanup.splice(0).forEach((undo) => undo()));

  describe.each([
    ['in memory', {}],
    ['in Redis', { REDIS_URL }],
  ])('Idempotency-Key scopes and byte budget %s', (_where, storeEnv: Record<string, string>) => {
    // A fire-and-forget entry counts about 600 bytes: a client's share of 4 KiB holds 6 of them.
    const budget = { ...PROXIED, ...storeEnv, IDEMPOTENCY_MAX_BYTES: '16384', IDEMPOTENCY_MAX_BYTES_PER_CLIENT: '4096' };

    it('never shows one client the answer of another using the same key', async () => {
      const s = await services.start(budget);
      const a = await call(s.api(COMPLETE), { headers: from('10.1.0.1', 'same') });
      const b = await call(s.api(COMPLETE), { headers: from('10.1.0.2', 'same') });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(messageIdOf(b.body)).not.toBe(messageIdOf(a.body));
      // Each one's retry gets its own first answer.
      const aAgain = await call(s.api(COMPLETE), { headers: from('10.1.0.1', 'same') });
      const bAgain = await call(s.api(COMPLETE), { headers: from('10.1.0.2', 'same') });
      expect(messageIdOf(aAgain.body)).toBe(messageIdOf(a.body));
      expect(messageIdOf(bAgain.body)).toBe(messageIdOf(b.body));
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(2);
    });

    it("lets a flood evict only the flooder's own oldest keys: the other client's retry is not published again", async () => {
      const s = await services.start(budget);
      const victim = await call(s.api(COMPLETE), { headers: from('10.2.0.1', 'victim-order') });
      expect(victim.status).toBe(200);
      const flood = 60;
      for (let i = 0; i < flood; i++) {
        expect((await call(s.api(COMPLETE), { headers: from('10.2.0.99', `flood-${i}`) })).status).toBe(200);
      }
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1 + flood);

      const retry = await call(s.api(COMPLETE), { headers: from('10.2.0.1', 'victim-order') });
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(messageIdOf(retry.body)).toBe(messageIdOf(victim.body));
      // The flooder's newest key is still kept; its oldest was evicted first (a retry of it publishes).
      const newest = await call(s.api(COMPLETE), { headers: from('10.2.0.99', `flood-${flood - 1}`) });
      expect(newest.headers.get('idempotent-replayed')).toBe('true');
      const oldest = await call(s.api(COMPLETE), { headers: from('10.2.0.99', 'flood-0') });
      expect(oldest.headers.get('idempotent-replayed')).toBeNull();
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(1 + flood + 1);
    });

    it('keeps no answer over IDEMPOTENCY_MAX_ENTRY_BYTES: a repeat gets 422 with the message id, nothing is published', async () => {
      const s = await services.start({ ...budget, REPLY_EXPECTED: 'true', IDEMPOTENCY_MAX_ENTRY_BYTES: '2048' });
      const first = call(s.api(COMPLETE), { headers: from('10.3.0.1', 'big-answer') });
      const inbound = await s.peer.nextInbound();
      const reply = 'r'.repeat(5000);
      await s.peer.reply(inbound, reply);
      expect((await first).body).toBe(reply);
      // The outcome is written just after the answer: wait until the repeat no longer finds the claim.
      let repeat = await call(s.api(COMPLETE), { headers: from('10.3.0.1', 'big-answer') });
      for (let i = 0; i < 40 && repeat.status === 409; i++) {
        await delay(25);
        repeat = await call(s.api(COMPLETE), { headers: from('10.3.0.1', 'big-answer') });
      }
      expect(repeat.status).toBe(422);
      const error = JSON.parse(repeat.body) as { error: string; message: string };
      expect(error.error).toBe('idempotency_answer_not_kept');
      expect(error.message).toContain(inbound.message_id as string);
      // Nothing was published for the repeat: the next message out is the marker.
      const marker = call(s.api({ ...COMPLETE, content: 'marker' }), { headers: from('10.3.0.1') });
      const next = await s.peer.nextInbound();
      expect(next).toMatchObject({ content: 'marker' });
      await s.peer.reply(next, 'ok');
      expect((await marker).status).toBe(200);
    });
  });

  describe('per-client share of held slots (MAX_PENDING_PER_CLIENT)', () => {
    it('refuses the client at its share with 503 and Retry-After, and still holds for another client', async () => {
      const s = await services.start({ ...PROXIED, REPLY_EXPECTED: 'true', MAX_PENDING_REQUESTS: '8', MAX_PENDING_PER_CLIENT: '3' });
      const held: Array<Promise<unknown>> = [];
      const inbound = [];
      for (let i = 0; i < 3; i++) {
        held.push(call(s.api({ ...COMPLETE, content: `a${i}` }), { headers: from('10.4.0.1') }));
        inbound.push(await s.peer.nextInbound());
      }
      const refused = await call(s.api(COMPLETE), { headers: from('10.4.0.1') });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(s.config.retryAfter));
      expect(JSON.parse(refused.body)).toEqual({ error: 'overloaded', message: anyString() });

      // Another client still gets a slot while the first one is at its share.
      const other = call(s.api({ ...COMPLETE, content: 'b0' }), { headers: from('10.4.0.2') });
      const otherInbound = await s.peer.nextInbound();
      expect(otherInbound).toMatchObject({ content: 'b0' });
      await s.peer.reply(otherInbound, 'yours');
      expect(await other).toMatchObject({ status: 200, body: 'yours' });

      // A reply gives exactly one slot back: one more request is held, the next is refused again.
      await s.peer.reply(inbound[0], 'first');
      await held[0];
      held.push(call(s.api({ ...COMPLETE, content: 'a3' }), { headers: from('10.4.0.1') }));
      inbound.push(await s.peer.nextInbound());
      expect((await call(s.api(COMPLETE), { headers: from('10.4.0.1') })).status).toBe(503);

      const metrics = new MetricsReader(`${s.url}/metrics`);
      expect(await metrics.value('vumi_http_api_held_requests_refused_total', { reason: 'client_share' })).toBe(2);
      expect(await metrics.value('vumi_http_api_held_requests_refused_total', { reason: 'full' })).toBe(0);
      for (const message of inbound.slice(1)) await s.peer.reply(message, 'done');
      await Promise.all(held);
    });
  });

  describe('a held POST', () => {
    it('lets go of its 60 kB body once the broker confirmed its message', async () => {
      const gc = exposedGc();
      const collected = new Set<string>();
      const registry = new FinalizationRegistry<string>((tag) => collected.add(tag));
      // Watches the body buffer the service read, without keeping it (the registry holds it weakly).
      type Reader = { read: (req: RequestWithBody, ...rest: unknown[]) => Promise<void> };
      const prototype = RequestBodyInterceptor.prototype as unknown as Reader;
      const read = prototype.read;
      const spy = jest.spyOn(prototype, 'read').mockImplementation(async function (this: unknown, req: RequestWithBody, ...rest) {
        await read.call(this, req, ...rest);
        if (req.rawBody) registry.register(req.rawBody, String(req.headers['x-tag']));
      });
      // The spy stays in place for the whole test: the interceptor reads through it.
      afterCleanup.push(() => spy.mockRestore());
      const s = await services.start({ REPLY_EXPECTED: 'true' });
      const body = JSON.stringify({ ...COMPLETE, content: 'é'.repeat(30_000) }); // 60 kB of UTF-8
      const answer = call(s.api(), { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tag': 'held' }, body });
      const inbound = await s.peer.nextInbound(); // confirmed and consumed: the request is held now
      expect((inbound.content as string).length).toBe(30_000);

      // A control the registry must not report: the test's own copy, still referenced below.
      const kept = Buffer.from(body);
      registry.register(kept, 'kept');
      await waitUntil(
        'the held request let go of its body',
        async () => {
          gc();
          await delay(10);
          return collected.has('held');
        },
        10_000,
      );
      expect(collected.has('kept')).toBe(false);
      expect(kept.length).toBe(Buffer.byteLength(body));

      await s.peer.reply(inbound, 'ok');
      expect(await answer).toMatchObject({ status: 200, body: 'ok' });
    });
  });
});

/** `gc()` without starting node with --expose-gc: the flag set at run time, the function taken from a fresh context. */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
