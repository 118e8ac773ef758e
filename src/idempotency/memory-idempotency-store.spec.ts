import { MemoryIdempotencyStore } from './memory-idempotency-store';

describe('MemoryIdempotencyStore', () => {
  let now = 0;
  const clock = () => now;
  const done = (token: string) => ({ fingerprint: 'fp', token, outcome: { messageId: token } });

  beforeEach(() => (now = 0));

  it('forgets a claim after its lease and an outcome after the window', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await store.claim('a', 'fp', 't1', 1_000);
    now = 999;
    expect(await store.claim('a', 'fp', 't2', 1_000)).not.toBeNull();
    now = 1_000;
    expect(await store.claim('a', 'fp', 't3', 1_000)).toBeNull();
    await store.complete('a', done('t3'), 5_000);
    now = 5_999;
    expect(await store.claim('a', 'fp', 't4', 1_000)).toMatchObject({ outcome: { messageId: 't3' } });
    now = 6_000;
    expect(await store.claim('a', 'fp', 't5', 1_000)).toBeNull();
  });

  it('holds at most maxKeys, forgetting the oldest written first', async () => {
    const store = new MemoryIdempotencyStore(2, clock);
    await store.claim('a', 'fp', 'ta', 10_000);
    await store.claim('b', 'fp', 'tb', 10_000);
    await store.complete('a', done('ta'), 10_000); // a is now the newest write
    await store.claim('c', 'fp', 'tc', 10_000); // b goes
    expect(store.size).toBe(2);
    expect(await store.claim('a', 'fp', 'x', 10_000)).not.toBeNull();
    expect(await store.claim('b', 'fp', 'x', 10_000)).toBeNull();
  });

  it('drops expired keys from the front as new ones come in', async () => {
    const store = new MemoryIdempotencyStore(100, clock);
    for (const k of ['a', 'b', 'c']) await store.claim(k, 'fp', k, 1_000);
    now = 2_000;
    await store.claim('d', 'fp', 'd', 1_000);
    expect(store.size).toBe(1);
  });
});
