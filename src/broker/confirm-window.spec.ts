import { ConfirmChannel } from 'amqplib';
import { CONFIRM_TIMEOUT, ConfirmWindow } from './confirm-window';

/** Keeps each publish's confirm callback, to confirm, nack or drop it at will. */
class FakeConfirmChannel {
  callbacks: Array<(error: Error | null) => void> = [];
  options: unknown[] = [];
  throwOnPublish: Error | undefined;
  publish(_exchange: string, _key: string, _body: Buffer, options: unknown, callback: (error: Error | null) => void): boolean {
    if (this.throwOnPublish) throw this.throwOnPublish;
    this.options.push(options);
    this.callbacks.push(callback);
    return true;
  }
}

const body = Buffer.from('{}');

describe('ConfirmWindow', () => {
  let channel: FakeConfirmChannel;
  let raw: ConfirmChannel;

  beforeEach(() => {
    channel = new FakeConfirmChannel();
    raw = channel as unknown as ConfirmChannel;
  });

  afterEach(() => jest.useRealTimers());

  it('gives amqplib the request id as the x-request-id header when no frame was written here', async () => {
    const window = new ConfirmWindow(5000);
    const published = window.publish(raw, 'vumi', 'k', body, { persistent: true, headers: { a: 'b' } }, undefined, 'req-1');
    expect(channel.options).toEqual([{ persistent: true, headers: { a: 'b', 'x-request-id': 'req-1' } }]);
    channel.callbacks[0](null);
    await published;
  });

  it('resolves each publish with its confirm, in any order, and rejects a nacked one', async () => {
    const window = new ConfirmWindow(5000);
    const outcomes = [1, 2, 3].map(() =>
      window.publish(raw, 'vumi', 'k', body, {}).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    expect(window.size).toBe(3);
    channel.callbacks[2](null);
    channel.callbacks[0](new Error('message nacked'));
    channel.callbacks[1](null);
    expect(await Promise.all(outcomes)).toEqual(['message nacked', 'ok', 'ok']);
    expect(window.size).toBe(0);
  });

  it('fails a publish whose confirm never comes with a time-out, once, and ignores a late confirm', async () => {
    jest.useFakeTimers();
    const window = new ConfirmWindow(100);
    const first = window.publish(raw, 'vumi', 'k', body, {});
    jest.advanceTimersByTime(60);
    const second = window.publish(raw, 'vumi', 'k', body, {});
    channel.callbacks[1](null); // the second is confirmed, the first never
    await expect(second).resolves.toBeUndefined();
    jest.advanceTimersByTime(41);
    await expect(first).rejects.toThrow(CONFIRM_TIMEOUT);
    channel.callbacks[0](null); // too late: no second settlement
    expect(window.size).toBe(0);
  });

  it('times out each of several stalled publishes at its own deadline with one timer', async () => {
    jest.useFakeTimers();
    const window = new ConfirmWindow(100);
    const settled: number[] = [];
    for (let n = 0; n < 3; n++) {
      void window.publish(raw, 'vumi', 'k', body, {}).catch(() => settled.push(n));
      jest.advanceTimersByTime(30);
    }
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(11); // 101 ms after the first
    expect(settled).toEqual([0]);
    await jest.advanceTimersByTimeAsync(60);
    expect(settled).toEqual([0, 1, 2]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects at once when amqplib throws (a closed channel)', async () => {
    const window = new ConfirmWindow(5000);
    channel.throwOnPublish = new Error('Channel closed');
    await expect(window.publish(raw, 'vumi', 'k', body, {})).rejects.toThrow('Channel closed');
    expect(window.size).toBe(0);
  });
});
