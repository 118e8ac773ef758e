import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisRateLimiter } from './redis-rate-limiter';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The Lua bucket against the real Redis (CI and development machines run one on 127.0.0.1:6379). */
describe('RedisRateLimiter', () => {
  const prefix = `test:rl:${randomBytes(4).toString('hex')}:`;
  let client: Redis;
  let limiter: RedisRateLimiter;

  beforeAll(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    limiter = new RedisRateLimiter(client, prefix);
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('passes a burst, refuses the next, and reports the state like TokenBucket', async () => {
    const policy = { rate: 0.01, burst: 2 };
    const first = await limiter.take('burst', policy);
    expect(first).toMatchObject({ allowed: true, remaining: 1, policy });
    expect(await limiter.take('burst', policy)).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await limiter.take('burst', policy);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.retryAfter).toBeGreaterThan(90);
    expect(refused.retryAfter).toBeLessThanOrEqual(100);
  });

  it('keeps buckets apart by key and expires a bucket once it would be full', async () => {
    const policy = { rate: 1, burst: 3 };
    await limiter.take('a', policy);
    expect((await limiter.take('b', policy)).remaining).toBe(2);
    const ttl = await client.pttl(`${prefix}a`);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000); // one token to refill at 1/s, plus a second of slack
  });

  it('shares a bucket between limiters on the same prefix (two instances)', async () => {
    const policy = { rate: 0.01, burst: 1 };
    const other = new RedisRateLimiter(client, prefix);
    expect((await limiter.take('shared', policy)).allowed).toBe(true);
    expect((await other.take('shared', policy)).allowed).toBe(false);
  });

  it('refunds one token, never above the burst, and leaves a missing bucket missing', async () => {
    const policy = { rate: 0.01, burst: 2 };
    await limiter.take('refund', policy);
    await limiter.take('refund', policy);
    expect((await limiter.take('refund', policy)).allowed).toBe(false);
    await limiter.refund('refund', policy);
    expect(await limiter.take('refund', policy)).toMatchObject({ allowed: true, remaining: 0 });
    await limiter.refund('refund', policy);
    await limiter.refund('refund', policy);
    await limiter.refund('refund', policy);
    expect((await limiter.take('refund', policy)).remaining).toBe(1); // capped at 2, then one taken
    await limiter.refund('never-taken', policy);
    expect(await client.exists(`${prefix}never-taken`)).toBe(0);
  });
});
