import { AttemptsInFlight } from './attempts-in-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
}

describe('AttemptsInFlight', () => {
  it('has no leader until an attempt runs, and none once it has settled', async () => {
    const attempts = new AttemptsInFlight();
    expect(attempts.leaderFor('a:b')).toBeUndefined();
    const run = deferred<boolean>();
    const led = attempts.lead('a:b', () => run.promise);
    const leader = attempts.leaderFor('a:b');
    expect(leader).toBeDefined();
    expect(attempts.leaderFor('a:c')).toBeUndefined(); // other credentials, other leader
    run.resolve(true);
    await expect(led).resolves.toBe(true);
    await expect(leader).resolves.toBe(true);
    expect(attempts.leaderFor('a:b')).toBeUndefined();
    expect(attempts.size).toBe(0);
  });

  it('tells followers the leader failed when its attempt is refused (it never rejects for them)', async () => {
    const attempts = new AttemptsInFlight();
    const run = deferred<boolean>();
    const led = attempts.lead('a:b', () => run.promise);
    const leader = attempts.leaderFor('a:b');
    run.reject(new Error('401'));
    await expect(led).rejects.toThrow('401');
    await expect(leader).resolves.toBe(false);
    expect(attempts.size).toBe(0);
  });

  it('keeps the first leader while a second attempt with the same credentials runs', async () => {
    const attempts = new AttemptsInFlight();
    const first = deferred<boolean>();
    const second = deferred<boolean>();
    void attempts.lead('a:b', () => first.promise);
    const leader = attempts.leaderFor('a:b');
    const other = attempts.lead('a:b', () => second.promise);
    expect(attempts.leaderFor('a:b')).toBe(leader);
    second.resolve(true);
    await other;
    expect(attempts.leaderFor('a:b')).toBe(leader);
    first.resolve(true);
    await leader;
    expect(attempts.size).toBe(0);
  });
});
