import { Logger } from '@nestjs/common';
import { hashSync } from '@node-rs/bcrypt';
import { loadConfig } from '../../config/config-loader';
import { AuthEvents } from '../auth/auth-events';
import { VerificationsBusyError } from '../auth/auth.errors';
import { CallerCredentials } from './caller-credentials';
import * as passwordHash from './password-hash';

const ALICE_HASH = hashSync('alice pw', 4);

function credentialsFor(env: Record<string, string> = {}) {
  const config = loadConfig({
    INSTANCE_ID: 'unit',
    FIELD_DEFAULTS: '{"from_addr": "global", "group": "g"}',
    CALLERS: JSON.stringify([
      { username: 'alice', password_hash: ALICE_HASH, field_defaults: { from_addr: 'alice-sc' }, rate_limit: { rate: 1, burst: 2 } },
      { username: 'bob', password_hash: hashSync('bob pw', 4) },
    ]),
    ...env,
  });
  const events = new AuthEvents();
  const hashes: string[] = [];
  events.onHash((algorithm) => hashes.push(algorithm));
  return { config, credentials: new CallerCredentials(config, events), hashes };
}

describe('CallerCredentials', () => {
  afterEach(() => jest.restoreAllMocks());

  it('verifies each distinct user:password once, however often and however concurrently it comes', async () => {
    const { credentials, hashes } = credentialsFor();
    const verify = jest.spyOn(passwordHash, 'verifyPassword');
    const results = await Promise.all([1, 2, 3].map(() => credentials.verify('alice:alice pw')));
    expect(results.map((v) => v.caller?.name)).toEqual(['alice', 'alice', 'alice']);
    await credentials.verify('alice:alice pw');
    expect(await credentials.verify('alice:wrong')).toEqual({ caller: null, reason: 'wrong_password' });
    expect((await credentials.verify('alice:wrong')).caller).toBeNull(); // a failure is remembered too
    expect(verify).toHaveBeenCalledTimes(2);
    expect(hashes).toEqual(['bcrypt', 'bcrypt']);
    expect(credentials.hashesComputed).toBe(2);
  });

  it('recalls only verified passwords, and no flood of wrong ones pushes them out', async () => {
    const { credentials } = credentialsFor();
    expect(credentials.recall('alice:alice pw')).toBeUndefined();
    await credentials.verify('alice:alice pw');
    for (let i = 0; i < 1500; i++) credentials['current'].refused.set(`wrong ${i}`, { caller: null, reason: 'wrong_password' });
    expect(credentials.recall('alice:alice pw')?.name).toBe('alice');
    expect(credentials.recall('alice:wrong')).toBeUndefined();
  });

  it('replace swaps the whole list: a removed caller is no longer recalled, a new one is checked', async () => {
    const { credentials } = credentialsFor();
    await credentials.verify('alice:alice pw');
    const pending = credentials.verify('bob:bob pw'); // in flight across the swap: it ends on the old list
    credentials.replace([{ username: 'carol', passwordHash: hashSync('carol pw', 4) }]);
    expect((await pending).caller?.name).toBe('bob');
    expect(credentials.names).toEqual(['carol']);
    expect(credentials.recall('alice:alice pw')).toBeUndefined();
    expect(await credentials.verify('alice:alice pw')).toEqual({ caller: null, reason: 'unknown_user' });
    expect((await credentials.verify('carol:carol pw')).caller?.name).toBe('carol');
  });

  it('refuses unknown users and credentials without a colon without hashing', async () => {
    const { credentials } = credentialsFor();
    const verify = jest.spyOn(passwordHash, 'verifyPassword');
    expect(await credentials.verify('carol:alice pw')).toEqual({ caller: null, reason: 'unknown_user' });
    expect(await credentials.verify('alice')).toEqual({ caller: null, reason: 'malformed' });
    expect(verify).not.toHaveBeenCalled();
  });

  it('runs at most AUTH_MAX_VERIFICATIONS hashes at once, refusing the next at once', async () => {
    const { credentials } = credentialsFor({ AUTH_MAX_VERIFICATIONS: '2' });
    const running = [credentials.verify('alice:1'), credentials.verify('bob:2')];
    expect(credentials.verificationsInFlight).toBe(2);
    await expect(credentials.verify('alice:3')).rejects.toBeInstanceOf(VerificationsBusyError);
    // The same credentials as a running check join it: no slot needed.
    await expect(credentials.verify('alice:1')).resolves.toEqual({ caller: null, reason: 'wrong_password' });
    await Promise.all(running);
    expect(credentials.verificationsInFlight).toBe(0);
    await expect(credentials.verify('alice:3')).resolves.toMatchObject({ caller: null });
  });

  it('forgets a check that failed with an error, and frees its slot', async () => {
    const { credentials } = credentialsFor({ AUTH_MAX_VERIFICATIONS: '1' });
    jest.spyOn(passwordHash, 'verifyPassword').mockRejectedValueOnce(new Error('thread pool gone'));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(credentials.verify('alice:alice pw')).rejects.toThrow('thread pool gone');
    expect(credentials.verificationsInFlight).toBe(0);
    expect((await credentials.verify('alice:alice pw')).caller?.name).toBe('alice');
  });

  it('gives a caller FIELD_DEFAULTS overlaid with its own field_defaults, and its rate limit', async () => {
    const { credentials } = credentialsFor();
    const alice = (await credentials.verify('alice:alice pw')).caller;
    expect(alice).toEqual({
      name: 'alice',
      rateLimit: { rate: 1, burst: 2 },
      fieldDefaults: [
        ['from_addr', 'alice-sc'],
        ['group', 'g'],
      ],
    });
    expect((await credentials.verify('bob:bob pw')).caller?.fieldDefaults).toBeUndefined(); // FIELD_DEFAULTS alone
  });
});
