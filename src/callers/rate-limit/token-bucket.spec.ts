import { decide, TokenBucket } from './token-bucket';

/** A clock the test moves by hand (milliseconds). */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it('starts full: a burst of `burst` requests passes, the next is refused', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 1, burst: 3 }, clock.now);
    expect([1, 2, 3].map(() => bucket.take().remaining)).toEqual([2, 1, 0]);
    const refused = bucket.take();
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfter: 1, reset: 3 });
  });

  it('refills at `rate` per second, never beyond `burst`', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 2, burst: 2 }, clock.now);
    bucket.take();
    bucket.take();
    clock.advance(499);
    expect(bucket.take().allowed).toBe(false); // 0.998 tokens
    clock.advance(1);
    expect(bucket.take()).toMatchObject({ allowed: true, remaining: 0 }); // exactly 1 token at 500 ms
    clock.advance(60_000);
    expect(bucket.take()).toMatchObject({ allowed: true, remaining: 1 }); // capped at burst
    expect(bucket.isFull()).toBe(false);
    clock.advance(500);
    expect(bucket.isFull()).toBe(true);
  });

  it('takes nothing from a refused request', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 1, burst: 1 }, clock.now);
    bucket.take();
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      expect(bucket.take().allowed).toBe(false);
    }
    clock.advance(500); // 1 s after the first take, whatever was refused meanwhile
    expect(bucket.take().allowed).toBe(true);
  });

  it('answers Retry-After with the whole seconds until the next token', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 0.25, burst: 1 }, clock.now);
    bucket.take();
    expect(bucket.take().retryAfter).toBe(4);
    clock.advance(1_500); // 0.375 tokens: 2.5 s to go
    expect(bucket.take()).toMatchObject({ allowed: false, retryAfter: 3, reset: 3 });
  });

  it('refills nothing when the clock steps back', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 10, burst: 1 }, clock.now);
    bucket.take();
    clock.advance(-5_000);
    expect(bucket.take().allowed).toBe(false);
  });

  it('does not lose a second to float error', () => {
    expect(decide({ rate: 3, burst: 3 }, 0.1 + 0.2 + 0.7 - 1e-12, true)).toMatchObject({ remaining: 1, retryAfter: 0 });
  });
});
