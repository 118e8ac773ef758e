import { ResponseWindow } from './response-window';

/** A clock the test moves by hand (milliseconds). */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('ResponseWindow', () => {
  it('is ok with no answers at all', () => {
    const window = new ResponseWindow(60, manualClock().now);
    expect(window.counts()).toEqual({ ok: 0, degraded: 0, down: 0, timeout: 0 });
    expect(ResponseWindow.stateOf(window.counts())).toBe('ok');
  });

  it('counts each class of answer in the window', () => {
    const window = new ResponseWindow(60, manualClock().now);
    for (const answer of ['ok', 'ok', 'degraded', 'down', 'timeout', 'timeout'] as const) window.record(answer);
    expect(window.counts()).toEqual({ ok: 2, degraded: 1, down: 1, timeout: 2 });
  });

  it('is the worst class in the window: a time-out is down even after fast answers', () => {
    const clock = manualClock();
    const window = new ResponseWindow(60, clock.now);
    window.record('timeout');
    clock.advance(1000);
    for (let i = 0; i < 100; i++) window.record('ok');
    expect(ResponseWindow.stateOf(window.counts())).toBe('down');
    const slow = new ResponseWindow(60, clock.now);
    slow.record('degraded');
    slow.record('ok');
    expect(ResponseWindow.stateOf(slow.counts())).toBe('degraded');
  });

  it('returns to ok by itself, with no new answer, once the window has passed (never before)', () => {
    const clock = manualClock();
    const window = new ResponseWindow(10, clock.now);
    window.record('timeout');
    clock.advance(10_000 - 1); // just inside the window
    expect(ResponseWindow.stateOf(window.counts())).toBe('down');
    clock.advance(10_000 / 20 + 1); // past the window and its last slice
    expect(window.counts()).toEqual({ ok: 0, degraded: 0, down: 0, timeout: 0 });
    expect(ResponseWindow.stateOf(window.counts())).toBe('ok');
  });

  it('reuses its buckets: old counts never come back after a long silence', () => {
    const clock = manualClock();
    const window = new ResponseWindow(2, clock.now);
    window.record('down');
    clock.advance(2100 * 7); // many whole windows later, landing on the same bucket index
    window.record('ok');
    expect(window.counts()).toEqual({ ok: 1, degraded: 0, down: 0, timeout: 0 });
  });

  it('keeps a fixed number of buckets however many answers it counts', () => {
    const clock = manualClock();
    const window = new ResponseWindow(60, clock.now);
    for (let i = 0; i < 100_000; i++) {
      window.record('ok');
      clock.advance(1);
    }
    expect((window as unknown as { buckets: unknown[] }).buckets).toHaveLength(21);
    // 100 s of answers at one per ms: only the last 60-63 s are counted.
    expect(window.counts().ok).toBeGreaterThanOrEqual(60_000);
    expect(window.counts().ok).toBeLessThanOrEqual(63_000);
  });
});
