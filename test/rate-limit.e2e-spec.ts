import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from '@node-rs/bcrypt';
import { Answer, call } from './support/http-call';
import { MetricsReader } from './support/metrics-scrape';
import { REDIS_URL, servicesCleaningRedis } from './support/redis';
import { TestService, uniqueTransportName } from './support/test-service';
import { anyString } from './support/matchers';

const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };
const POLICY = /^"default";q=(\d+);w=(\d+)$/;
const STATE = /^"default";r=(\d+);t=(\d+)$/;

function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

/** The RateLimit field's r and t. */
function stateOf(answer: Answer): { r: number; t: number } {
  const match = STATE.exec(answer.headers.get('ratelimit') ?? '');
  if (!match) throw new Error(`no RateLimit field: ${answer.headers.get('ratelimit')}`);
  return { r: Number(match[1]), t: Number(match[2]) };
}

/** Sends until `until(answer)` holds, with a deadline (a refill is awaited, never slept for). */
async function sendUntil(send: () => Promise<Answer>, until: (a: Answer) => boolean, timeoutMs: number): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await send();
    if (until(answer)) return answer;
    if (Date.now() >= deadline) throw new Error(`still ${answer.status} after ${timeoutMs} ms: ${answer.body}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Rate limits and several callers (issue 8) on the real broker, in memory and through the real Redis. */
describe('rate limits and callers', () => {
  const services = servicesCleaningRedis();
  const start = (env: Record<string, string> = {}) => services.start(env);

  it('answers 429 after the burst of a client address, with Retry-After and the RateLimit fields', async () => {
    // One token per 5 s: the burst is spent long before a token comes back.
    const s = await start({ RATE_LIMIT_RATE: '0.2', RATE_LIMIT_BURST: '3' });
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i++) answers.push(await call(s.api(COMPLETE)));
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-policy')).toBe('"default";q=3;w=15');
      expect(stateOf(answer).r).toBe(2 - i);
    }
    expect(stateOf(answers[2]).t).toBeLessThanOrEqual(15);

    const refused = await call(s.api(COMPLETE));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(refused.body)).toEqual({ error: 'rate_limited', message: anyString() });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(refused.headers.get('ratelimit-policy')).toMatch(POLICY);
    expect(stateOf(refused).r).toBe(0);
    expect(stateOf(refused).t).toBeGreaterThanOrEqual(retryAfter);
    // Confirmed before each 200: exactly the three accepted messages are queued.
    expect(await s.peer.depth(s.peer.keys.inbound)).toBe(3);
  });

  it('refills the bucket: a refused caller is accepted again once a token is back', async () => {
    const s = await start({ RATE_LIMIT_RATE: '2', RATE_LIMIT_BURST: '1' });
    const refused = await sendUntil(
      () => call(s.api(COMPLETE)),
      (a) => a.status === 429,
      5_000,
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    const accepted = await sendUntil(
      () => call(s.api(COMPLETE)),
      (a) => a.status !== 429,
      5_000,
    );
    expect(accepted.status).toBe(200);
  });

  describe('with a callers file', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'callers-'));
      // alice's hash from `npm run hash-password` (its script, reading the password on standard input).
      const root = join(__dirname, '..');
      const script = join(root, 'scripts', 'hash-password.ts');
      const alice = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', script], { cwd: root, input: 'alice secret' })
        .toString()
        .trim();
      expect(alice).toMatch(/^scrypt\$16384\$8\$1\$/);
      const bob = hashSync('bob:secret', 4);
      writeFileSync(
        join(dir, 'callers.yaml'),
        [
          'callers:',
          '  - username: alice',
          `    password_hash: "${alice}"`,
          '    rate_limit: { rate: 0.1, burst: 1 }',
          '    field_defaults: { from_addr: alice-sc }',
          '  - username: bob',
          `    password_hash: "${bob}"`,
          '    rate_limit: { rate: 0.1, burst: 3 }',
          '    field_defaults: { from_addr: bob-sc, group: bobs }',
        ].join('\n'),
      );
    });

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function startWithCallers(): Promise<TestService> {
      return start({
        CALLERS_FILE: join(dir, 'callers.yaml'),
        WEB_USERNAME: 'ops',
        WEB_PASSWORD: 'ops-password',
        FIELD_DEFAULTS: '{"from_addr": "global", "group": "everyone"}',
      });
    }

    it('gives each caller its own limit and field defaults, and names it in helper_metadata', async () => {
      const s = await startWithCallers();
      const fields = { to_addr: '555', content: 'hi' };
      const alice = () => call(s.api(fields), { headers: basic('alice', 'alice secret') });
      const bob = () => call(s.api(fields), { headers: basic('bob', 'bob:secret') });

      expect((await alice()).status).toBe(200);
      expect(await s.peer.nextInbound()).toMatchObject({
        from_addr: 'alice-sc',
        group: 'everyone', // FIELD_DEFAULTS still applies where alice has no default of her own
        helper_metadata: { http_api: { caller: 'alice' } },
      });
      expect((await alice()).status).toBe(429);

      for (let i = 0; i < 3; i++) {
        const answer = await bob();
        expect(answer.status).toBe(200);
        expect(answer.headers.get('ratelimit-policy')).toBe('"default";q=3;w=30');
      }
      expect(await s.peer.nextInbound()).toMatchObject({
        from_addr: 'bob-sc',
        group: 'bobs',
        helper_metadata: { http_api: { caller: 'bob' } },
      });
      expect((await bob()).status).toBe(429);
      const metrics = new MetricsReader(`${s.url}/metrics`);
      expect(await metrics.value('vumi_http_api_rate_limited_total', { caller: 'alice' })).toBe(1);
      expect(await metrics.value('vumi_http_api_rate_limited_total', { caller: 'bob' })).toBe(1);
      expect(await metrics.value('vumi_http_api_rate_limited_total', { caller: 'ops' })).toBe(0);

      // WEB_USERNAME still works, without a limit, with the global defaults; a sent field beats a default.
      const ops = await call(s.api({ ...fields, from_addr: 'sent' }), { headers: basic('ops', 'ops-password') });
      expect(ops.status).toBe(200);
      expect(ops.headers.get('ratelimit')).toBeNull();
      await s.peer.nextInbound();
      await s.peer.nextInbound();
      expect(await s.peer.nextInbound()).toMatchObject({
        from_addr: 'sent',
        group: 'everyone',
        helper_metadata: { http_api: { caller: 'ops' } },
      });
    });

    it.each([
      ['a wrong password', basic('alice', 'wrong')],
      ['an unknown user', basic('carol', 'alice secret')],
      ['another caller’s password', basic('alice', 'bob:secret')],
      ['no credentials', {}],
    ])('answers 401 to %s, publishing nothing', async (_what, headers) => {
      const s = await startWithCallers();
      const answer = await call(s.api(COMPLETE), { headers });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
    });
  });

  it('limits the client a trusted proxy names, and ignores X-Forwarded-For from anyone else', async () => {
    const env = { RATE_LIMIT_RATE: '0.01', RATE_LIMIT_BURST: '1' };
    const from = (s: TestService, client: string) => call(s.api(COMPLETE), { headers: { 'X-Forwarded-For': client } });
    const behindProxy = await start({ ...env, TRUST_PROXY: '127.0.0.1, ::1' });
    expect((await from(behindProxy, '198.51.100.1')).status).toBe(200);
    expect((await from(behindProxy, '198.51.100.1')).status).toBe(429);
    expect((await from(behindProxy, '198.51.100.2')).status).toBe(200); // another client behind the same proxy
    const direct = await start(env);
    expect((await from(direct, '198.51.100.1')).status).toBe(200);
    expect((await from(direct, '198.51.100.2')).status).toBe(429); // a forged header buys no fresh bucket
  });

  it('shares one limit across two instances through Redis', async () => {
    const env = { TRANSPORT_NAME: uniqueTransportName('rl'), REDIS_URL, RATE_LIMIT_RATE: '0.1', RATE_LIMIT_BURST: '2' };
    const a = await start({ ...env, INSTANCE_ID: 'rl-a' });
    const b = await start({ ...env, INSTANCE_ID: 'rl-b' });
    expect(stateOf(await call(a.api(COMPLETE))).r).toBe(1);
    expect(stateOf(await call(b.api(COMPLETE))).r).toBe(0);
    expect((await call(a.api(COMPLETE))).status).toBe(429);
    expect((await call(b.api(COMPLETE))).status).toBe(429);
    expect(await a.peer.depth(a.peer.keys.inbound)).toBe(2);
  });
});
