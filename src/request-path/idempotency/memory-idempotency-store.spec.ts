import { MemoryIdempotencyStore } from './memory-idempotency-store';

const S = 'addr:127.0.0.1';
const LIMITS = { maxBytes: 1 << 20, maxBytesPerClient: 1 << 18, maxEntryBytes: 1 << 16 };

describe('MemoryIdempotencyStore', () => {
  let now = 0;
  const clock = () => now;
  const done = (token: string) => ({ fingerprint: 'fp', token, outcome: { messageId: token } });

  beforeEach(() => (now = 0));

  it('forgets a claim after its lease and an outcome after the window', async () => {
    const store = new MemoryIdempotencyStore(10, LIMITS, clock);
    await store.claim(S, 'a', 'fp', 't1', 1_000);
    now = 999;
    expect(await store.claim(S, 'a', 'fp', 't2', 1_000)).not.toBeNull();
    now = 1_000;
    expect(await store.claim(S, 'a', 'fp', 't3', 1_000)).toBeNull();
    await store.complete(S, 'a', done('t3'), 5_000);
    now = 5_999;
    expect(await store.claim(S, 'a', 'fp', 't4', 1_000)).toMatchObject({ outcome: { messageId: 't3' } });
    now = 6_000;
    expect(await store.claim(S, 'a', 'fp', 't5', 1_000)).toBeNull();
  });

  it('holds at most maxKeys, forgetting the oldest written first', async () => {
    const store = new MemoryIdempotencyStore(2, LIMITS, clock);
    await store.claim(S, 'a', 'fp', 'ta', 10_000);
    await store.claim(S, 'b', 'fp', 'tb', 10_000);
    await store.complete(S, 'a', done('ta'), 10_000); // a is now the newest write
    await store.claim(S, 'c', 'fp', 'tc', 10_000); // b goes
    expect(store.size).toBe(2);
    expect(await store.claim(S, 'a', 'fp', 'x', 10_000)).not.toBeNull();
    expect(await store.claim(S, 'b', 'fp', 'x', 10_000)).toBeNull();
  });

  it('drops expired keys from the front as new ones come in', async () => {
    const store = new MemoryIdempotencyStore(100, LIMITS, clock);
    for (const k of ['a', 'b', 'c']) await store.claim(S, k, 'fp', k, 1_000);
    now = 2_000;
    await store.claim(S, 'd', 'fp', 'd', 1_000);
    expect(store.size).toBe(1);
  });
});

describe('MemoryIdempotencyStore byte budgets', () => {
  const answer = (bytes: number) => ({ status: 200, contentType: 'text/plain', body: 'x'.repeat(bytes) });
  const done = (token: string, bytes: number) => ({ fingerprint: 'fp', token, outcome: { messageId: token, answer: answer(bytes) } });
  const WINDOW = 60_000;
  // Each entry of 10,000 body bytes counts a little over 10 kB (entryBytes adds the overhead).
  const limits = { maxBytes: 65_000, maxBytesPerClient: 35_000, maxEntryBytes: 12_000 };

  async function put(store: MemoryIdempotencyStore, scope: string, key: string, bytes = 10_000) {
    await store.claim(scope, key, 'fp', key, WINDOW);
    await store.complete(scope, key, done(key, bytes), WINDOW);
  }

  it('counts what it keeps, and gives the bytes back on release and expiry', async () => {
    let now = 0;
    const store = new MemoryIdempotencyStore(100, limits, () => now);
    await put(store, 'addr:a', 'k1');
    expect(store.bytes).toBeGreaterThan(10_000);
    expect(store.bytes).toBeLessThan(11_000);
    await store.claim('addr:a', 'k2', 'fp', 't2', 1_000);
    await store.release('addr:a', 'k2', 't2');
    expect(store.size).toBe(1);
    now = WINDOW;
    await store.claim('addr:b', 'k3', 'fp', 't3', 1_000);
    expect(store.size).toBe(1);
    expect(store.bytesOf('addr:a')).toBe(0);
    expect(store.bytes).toBe(store.bytesOf('addr:b'));
  });

  it("evicts a client's own oldest entries past its share, never another client's", async () => {
    const store = new MemoryIdempotencyStore(100, limits);
    await put(store, 'caller:victim', 'v1');
    for (let i = 0; i < 20; i++) await put(store, 'caller:flood', `f${i}`);
    expect(store.bytesOf('caller:flood')).toBeLessThanOrEqual(limits.maxBytesPerClient);
    expect(await store.claim('caller:victim', 'v1', 'fp', 'again', WINDOW)).toMatchObject({ outcome: { messageId: 'v1' } });
    expect(await store.claim('caller:flood', 'f19', 'fp', 'again', WINDOW)).toMatchObject({ outcome: { messageId: 'f19' } });
    expect(await store.claim('caller:flood', 'f0', 'fp', 'again', WINDOW)).toBeNull(); // its own oldest went first
  });

  it('past the whole budget, takes from the client holding the most, oldest first', async () => {
    const store = new MemoryIdempotencyStore(100, limits);
    await put(store, 'addr:small', 's1');
    for (const scope of ['addr:a', 'addr:b']) for (let i = 0; i < 3; i++) await put(store, scope, `${scope}-${i}`);
    expect(store.bytes).toBeLessThanOrEqual(limits.maxBytes);
    expect(await store.claim('addr:small', 's1', 'fp', 'again', WINDOW)).not.toBeNull();
    expect(await store.claim('addr:a', 'addr:a-0', 'fp', 'again', WINDOW)).toBeNull(); // a was the largest when b grew
  });

  it('never keeps an entry over the per-entry limit', async () => {
    const store = new MemoryIdempotencyStore(100, limits);
    await store.complete('addr:a', 'big', done('big', 20_000), WINDOW);
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('stays within the budget under a flood from many clients', async () => {
    const store = new MemoryIdempotencyStore(1_000_000, limits);
    for (let i = 0; i < 500; i++) await put(store, `addr:${i % 37}`, `k${i}`, (i * 7919) % 10_000);
    expect(store.bytes).toBeLessThanOrEqual(limits.maxBytes);
    let sum = 0;
    for (let c = 0; c < 37; c++) sum += store.bytesOf(`addr:${c}`);
    expect(sum).toBe(store.bytes);
  });
});
