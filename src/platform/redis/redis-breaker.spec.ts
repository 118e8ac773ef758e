import { RedisBreaker, RedisState, RedisUnavailableError } from './redis-breaker';

/** A probe the test answers by hand. */
function manualProbe() {
  let answer: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const probe = jest.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        answer = resolve;
        fail = reject;
      }),
  );
  return { probe, answer: () => answer(), fail: (error: Error) => fail(error) };
}

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('RedisBreaker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes commands through while Redis answers', async () => {
    const breaker = new RedisBreaker({ probe: jest.fn(), probeIntervalMs: 1000 });
    await expect(breaker.run(() => Promise.resolve('OK'))).resolves.toBe('OK');
    expect(breaker.state).toBe('up');
  });

  it('opens on a time-out: later commands fail at once without running, until a probe answers', async () => {
    const { probe, answer } = manualProbe();
    const breaker = new RedisBreaker({ probe, probeIntervalMs: 1000 });
    const states: RedisState[] = [];
    breaker.onStateChange((state) => states.push(state));
    await expect(breaker.run(() => Promise.reject(new Error('Command timed out')))).rejects.toThrow('Command timed out');
    expect(breaker.state).toBe('down');
    const command = jest.fn(() => Promise.resolve('OK'));
    await expect(breaker.run(command)).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(command).not.toHaveBeenCalled();
    expect(probe).not.toHaveBeenCalled();

    jest.advanceTimersByTime(1000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('probing');
    await expect(breaker.run(command)).rejects.toBeInstanceOf(RedisUnavailableError); // no request waits for the probe
    answer();
    await Promise.resolve();
    await Promise.resolve();
    expect(breaker.state).toBe('up');
    await expect(breaker.run(command)).resolves.toBe('OK');
    expect(states).toEqual(['down', 'probing', 'up']);
    expect(breaker.opens).toBe(1);
  });

  it('probes again after a failed probe, reconnecting after a probe that timed out', async () => {
    const { probe, fail } = manualProbe();
    const reconnect = jest.fn();
    const breaker = new RedisBreaker({ probe, probeIntervalMs: 500, reconnect });
    await breaker.run(() => Promise.reject(new Error('Connection is closed.'))).catch(() => undefined);
    jest.advanceTimersByTime(500);
    fail(new Error('Command timed out'));
    await Promise.resolve();
    await Promise.resolve();
    expect(breaker.state).toBe('down');
    expect(breaker.error).toBe('Command timed out');
    expect(reconnect).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(500);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it("stays closed on Redis' own answers (a script error), and opens on READONLY (a demoted master)", async () => {
    const breaker = new RedisBreaker({ probe: jest.fn(), probeIntervalMs: 1000 });
    await breaker.run(() => Promise.reject(replyError('ERR wrong number of arguments'))).catch(() => undefined);
    expect(breaker.state).toBe('up');
    await breaker.run(() => Promise.reject(replyError("READONLY You can't write against a read only replica."))).catch(() => undefined);
    expect(breaker.state).toBe('down');
    breaker.stop();
  });

  it('stops probing once stopped', async () => {
    const probe = jest.fn(() => Promise.reject(new Error('down')));
    const breaker = new RedisBreaker({ probe, probeIntervalMs: 100 });
    await breaker.run(() => Promise.reject(new Error('down'))).catch(() => undefined);
    breaker.stop();
    jest.advanceTimersByTime(1000);
    expect(probe).not.toHaveBeenCalled();
  });
});
