import { settleWithin } from '../common/settle-within';
import { CLOSE_FLOOR_MS, ClosingDeadline } from './closing-deadline';

const never = () => new Promise<never>(() => undefined);

/** Whether `promise` has settled by now (after the microtasks already queued). */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await Promise.resolve();
  return settled;
}

describe('settleWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is true for work that resolves or rejects in time', async () => {
    await expect(settleWithin(100, () => Promise.resolve('closed'))).resolves.toBe(true);
    await expect(settleWithin(100, () => Promise.reject(new Error('Channel closed')))).resolves.toBe(true);
  });

  it('is true for work that throws before returning a promise', async () => {
    await expect(
      settleWithin(100, () => {
        throw new Error('IllegalOperationError: Connection closing');
      }),
    ).resolves.toBe(true);
  });

  it('gives up on work that never settles once the time is out, and leaves no timer behind', async () => {
    const result = settleWithin(100, never);
    await jest.advanceTimersByTimeAsync(99);
    expect(await hasSettled(result)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('ClosingDeadline', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('gives each step the whole budget until the way out starts', () => {
    const deadline = new ClosingDeadline(5_000);
    jest.advanceTimersByTime(60_000);
    expect(deadline.remainingMs).toBe(5_000);
  });

  it('once started, the steps share one budget; a second start keeps the first deadline', () => {
    const deadline = new ClosingDeadline(5_000);
    deadline.start();
    jest.advanceTimersByTime(3_000);
    deadline.start();
    expect(deadline.remainingMs).toBe(2_000);
    jest.advanceTimersByTime(4_000);
    expect(deadline.remainingMs).toBe(0);
  });

  it('abandons work at the deadline, closes after the floor once the budget is spent', async () => {
    const deadline = new ClosingDeadline(1_000);
    deadline.start();
    const work = deadline.within(never);
    await jest.advanceTimersByTimeAsync(1_000);
    await expect(work).resolves.toBe(false);
    const spent = deadline.within(never);
    await jest.advanceTimersByTimeAsync(0);
    await expect(spent).resolves.toBe(false);
    const close = deadline.close(never);
    await jest.advanceTimersByTimeAsync(CLOSE_FLOOR_MS - 1);
    expect(await hasSettled(close)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(close).resolves.toBe(false);
  });

  it('a close answered in time is not held to the deadline', async () => {
    const deadline = new ClosingDeadline(1_000);
    deadline.start();
    await expect(deadline.close(() => Promise.resolve())).resolves.toBe(true);
  });

  it('waits until a condition holds, or gives up at the deadline', async () => {
    const deadline = new ClosingDeadline(1_000);
    deadline.start();
    let inHand = 2;
    setTimeout(() => (inHand = 0), 300);
    const drained = deadline.waitUntil(() => inHand === 0);
    await jest.advanceTimersByTimeAsync(310);
    await expect(drained).resolves.toBe(true);
    const never = deadline.waitUntil(() => false);
    await jest.advanceTimersByTimeAsync(700);
    await expect(never).resolves.toBe(false);
  });
});
