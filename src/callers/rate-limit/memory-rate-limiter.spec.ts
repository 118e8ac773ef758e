import { MemoryRateLimiter } from './memory-rate-limiter';

describe('MemoryRateLimiter', () => {
  const policy = { rate: 1, burst: 1 };

  it('keeps one bucket per key', async () => {
    const limiter = new MemoryRateLimiter(10, () => 0);
    expect((await limiter.take('caller:a', policy)).allowed).toBe(true);
    expect((await limiter.take('caller:a', policy)).allowed).toBe(false);
    expect((await limiter.take('caller:b', policy)).allowed).toBe(true);
  });

  it('refills with its clock', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(10, () => now);
    await limiter.take('k', policy);
    expect((await limiter.take('k', policy)).allowed).toBe(false);
    now += 1000;
    expect((await limiter.take('k', policy)).allowed).toBe(true);
  });

  it('forgets the least recently used bucket past its bound', async () => {
    const limiter = new MemoryRateLimiter(2, () => 0);
    await limiter.take('a', policy);
    await limiter.take('b', policy);
    await limiter.take('a', policy); // refused, but a is now the most recent
    await limiter.take('c', policy); // evicts b
    expect(limiter.size).toBe(2);
    expect((await limiter.take('b', policy)).allowed).toBe(true); // b starts afresh (and evicts a)
    expect((await limiter.take('c', policy)).allowed).toBe(false);
  });

  it('starts a new bucket when the policy of a key changes', async () => {
    const limiter = new MemoryRateLimiter(10, () => 0);
    await limiter.take('k', policy);
    expect((await limiter.take('k', { rate: 1, burst: 5 })).remaining).toBe(4);
  });

  it('refunds a token to a live bucket, capped at the burst', async () => {
    const limiter = new MemoryRateLimiter(10, () => 0);
    const policy = { rate: 1, burst: 1 };
    await limiter.take('a', policy);
    expect((await limiter.take('a', policy)).allowed).toBe(false);
    await limiter.refund('a', policy);
    await limiter.refund('a', policy);
    expect((await limiter.take('a', policy)).allowed).toBe(true);
    expect((await limiter.take('a', policy)).allowed).toBe(false);
    await limiter.refund('unknown', policy);
    expect(limiter.size).toBe(1);
  });
});
