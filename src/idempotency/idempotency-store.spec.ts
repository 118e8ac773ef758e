import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE = 60_000;
const WINDOW = 120_000;

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
    store = client ? new RedisIdempotencyStore(client, prefix) : new MemoryIdempotencyStore(100);
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
    expect(await store.claim(k, 'fp', 't1', LEASE)).toBeNull();
    expect(await store.claim(k, 'fp2', 't2', LEASE)).toEqual({ fingerprint: 'fp', token: 't1' });
  });

  it('keeps the outcome once completed', async () => {
    const k = key();
    await store.claim(k, 'fp', 't1', LEASE);
    const outcome = { messageId: 'm1', answer: { status: 200, contentType: 'text/plain', body: 'hi ✓' } };
    await store.complete(k, { fingerprint: 'fp', token: 't1', outcome }, WINDOW);
    expect(await store.claim(k, 'fp', 't2', LEASE)).toEqual({ fingerprint: 'fp', token: 't1', outcome });
  });

  it('frees the key when its claim is released, but not for another token', async () => {
    const k = key();
    await store.claim(k, 'fp', 't1', LEASE);
    await store.release(k, 'someone-else');
    expect(await store.claim(k, 'fp', 't2', LEASE)).not.toBeNull();
    await store.release(k, 't1');
    expect(await store.claim(k, 'fp', 't3', LEASE)).toBeNull();
  });

  it('does not let a stale claim overwrite a newer one', async () => {
    const k = key();
    await store.claim(k, 'fp', 't1', LEASE);
    await store.release(k, 't1');
    await store.claim(k, 'fp', 't2', LEASE);
    await store.complete(k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'stale' } }, WINDOW);
    expect(await store.claim(k, 'fp', 't3', LEASE)).toEqual({ fingerprint: 'fp', token: 't2' });
  });

  it('completes a key whose claim already expired', async () => {
    const k = key();
    await store.complete(k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'm' } }, WINDOW);
    expect((await store.claim(k, 'fp', 't2', LEASE))?.outcome).toEqual({ messageId: 'm' });
  });

  if (useRedis) {
    it('lets Redis expire a claim after its lease and an outcome after the window', async () => {
      const k = key();
      await store.claim(k, 'fp', 't1', LEASE);
      const lease = await client!.pttl(prefix + k);
      expect(lease).toBeGreaterThan(LEASE - 5_000);
      expect(lease).toBeLessThanOrEqual(LEASE);
      await store.complete(k, { fingerprint: 'fp', token: 't1', outcome: { messageId: 'm' } }, WINDOW);
      expect(await client!.pttl(prefix + k)).toBeGreaterThan(LEASE);
    });
  }
});
