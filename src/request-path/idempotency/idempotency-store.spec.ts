import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE = 60_000;
const WINDOW = 120_000;
const S = 'addr:127.0.0.1';
const LIMITS = { maxBytes: 1 << 20, maxBytesPerClient: 1 << 18, maxEntryBytes: 1 << 16 };

/** The contract both stores keep; Redis is the real server (CI and development machines run one). */
describe.each([
  ['MemoryIdempotencyStore', false],
  ['RedisIdempotencyStore', true],
])('%s', (_name, useRedis) => {
  const prefix = `test:idem:${randomBytes(4).toString('hex')}:`;
  let client: Redis | undefined;
  let store: IdempotencyStore;

  beforeAll(() => {
    if (useRedis) client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  beforeEach(() => {
    store = client ? new RedisIdempotencyStore(client, prefix, LIMITS, WINDOW) : new MemoryIdempotencyStore(100, LIMITS);
  });

  afterAll(async () => {
    if (!client) return;
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  const key = () => randomBytes(6).toString('hex');

  it('claims a new key, then hands the in-flight record to a second claim', async () => {
    const k = key();
    expect(await store.claim(S, k, 'fp', 't1', LEASE)).toBeNull();
    expect(await store.claim(S, k, 'fp2', 't2', LEASE)).toEqual({ fingerprint: 'fp', token: 't1' });
  });

  it('keeps the outcome once completed', async () => {
    const k = key();
    await store.claim(S, k, 'fp', 't1', LEASE);
    const outcome = { messageId: 'm1', answer: { status: 200, contentType: 'text/plain', body: 'hi ✓' } };
    await store.complete(S, k, { fingerprint: 'fp', token: 't1', outcome }, WINDOW);
    expect(await store.claim(S, k, 'fp', 't2', LEASE)).toEqual({ fingerprint: 'fp', token: 't1', outcome });
  });

  it('frees the key when its claim is released, but not for another token', async () => {
    const k = key();
    await store.claim(S, k, 'fp', 't1', LEASE);
    await store.release(S, k, 'someone-else');
    expect(await store.claim(S, k, 'fp', 't2', LEASE)).not.toBeNull();
    await store.release(S, k, 't1');
    expect(await store.claim(S, k, 'fp', 't3', LEASE)).toBeNull();
  });

  it('does not let a stale claim overwrite a newer one', async () => {
    const k = key();
    await store.claim(S, k, 'fp', 't1', LEASE);
    await store.release(S, k, 't1');
    await store.claim(S, k, 'fp', 't2', LEASE);
    await store.complete(S, k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'stale' } }, WINDOW);
    expect(await store.claim(S, k, 'fp', 't3', LEASE)).toEqual({ fingerprint: 'fp', token: 't2' });
  });

  it('completes a key whose claim already expired', async () => {
    const k = key();
    await store.complete(S, k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'm' } }, WINDOW);
    expect((await store.claim(S, k, 'fp', 't2', LEASE))?.outcome).toEqual({ messageId: 'm' });
  });

  if (useRedis) {
    it('lets Redis expire a claim after its lease and an outcome after the window', async () => {
      const k = key();
      await store.claim(S, k, 'fp', 't1', LEASE);
      const lease = await client!.pttl(prefix + k);
      expect(lease).toBeGreaterThan(LEASE - 5_000);
      expect(lease).toBeLessThanOrEqual(LEASE);
      await store.complete(S, k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'm' } }, WINDOW);
      expect(await client!.pttl(prefix + k)).toBeGreaterThan(LEASE);
    });
  }
});

describe('RedisIdempotencyStore limits', () => {
  const prefix = `test:idem:${randomBytes(4).toString('hex')}:`;
  const limits = { maxBytes: 1 << 20, maxBytesPerClient: 35_000, maxEntryBytes: 12_000 };
  let client: Redis;
  let store: RedisIdempotencyStore;
  beforeAll(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new RedisIdempotencyStore(client, prefix, limits, WINDOW);
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });
  const done = (token: string, bytes: number) => ({
    fingerprint: 'fp',
    token,
    outcome: { messageId: token, answer: { status: 200, contentType: 'text/plain', body: 'x'.repeat(bytes) } },
  });
  const put = async (scope: string, key: string, bytes = 10_000) => {
    await store.claim(scope, key, 'fp', key, LEASE);
    await store.complete(scope, key, done(key, bytes), WINDOW);
  };

  it("keeps each client within its share, evicting its own oldest and never another client's", async () => {
    await put('caller:victim', 'v1');
    for (let i = 0; i < 10; i++) await put('caller:flood', `f${i}`);
    expect(await store.claim('caller:victim', 'v1', 'fp', 'again', LEASE)).toMatchObject({ outcome: { messageId: 'v1' } });
    expect(await store.claim('caller:flood', 'f9', 'fp', 'again', LEASE)).toMatchObject({ outcome: { messageId: 'f9' } });
    expect(await store.claim('caller:flood', 'f0', 'fp', 'again', LEASE)).toBeNull();
    expect(await client.exists(`${prefix}f1`)).toBe(0);
    const books = await client.keys(`${prefix}scope:*:sizes`);
    const totals = await Promise.all(books.map((key) => client.hget(key, '_total')));
    for (const total of totals) expect(Number(total)).toBeLessThanOrEqual(limits.maxBytesPerClient);
  });

  it('never stores an entry over the per-entry limit, and gives every book a TTL', async () => {
    await store.claim('addr:x', 'big', 'fp', 'big', LEASE);
    await store.complete('addr:x', 'big', done('big', 20_000), WINDOW);
    expect(JSON.parse((await client.get(`${prefix}big`))!)).toEqual({ fingerprint: 'fp', token: 'big' }); // the claim only
    for (const key of await client.keys(`${prefix}scope:*`)) expect(await client.pttl(key)).toBeGreaterThan(0);
  });

  it('gives the bytes of a released claim back', async () => {
    await store.claim('addr:y', 'r1', 'fp', 't1', LEASE);
    await store.release('addr:y', 'r1', 't1');
    const books = await client.keys(`${prefix}scope:*:sizes`);
    const values = await Promise.all(books.map((key) => client.hgetall(key)));
    expect(values.some((v) => v._total === '0' && Object.keys(v).length === 1)).toBe(true);
  });
});
