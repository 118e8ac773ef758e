import { hashSync } from '@node-rs/bcrypt';
import { AuthThrottledError, VerificationsBusyError } from '../../callers/auth/auth.errors';
import { callerOf } from '../../callers/identity/caller';
import { authContext, basic, buildBasicAuthGuard, outcome } from './basic-auth.guard.testing';
import { UnauthorizedError } from './http-api.errors';

const ALICE = JSON.stringify([{ username: 'alice', password_hash: hashSync('alice pw', 4) }]);

describe('BasicAuthGuard', () => {
  it('lets every request through when WEB_USERNAME is unset', () => {
    const { guard } = buildBasicAuthGuard();
    expect(guard.canActivate(authContext().context)).toBe(true);
    expect(guard.canActivate(authContext('Basic garbage').context)).toBe(true);
  });

  describe('with WEB_USERNAME and WEB_PASSWORD', () => {
    const { guard } = buildBasicAuthGuard({
      WEB_USERNAME: 'user',
      WEB_PASSWORD: 'p:ss wörd',
      AUTH_FAILURE_RATE: '0',
      AUTH_NAME_FAILURE_RATE: '0',
    });

    it('accepts the right credentials (a password may hold ":" and non-ASCII), synchronously', () => {
      expect(guard.canActivate(authContext(basic('user:p:ss wörd')).context)).toBe(true);
    });

    it('accepts the scheme in any case and extra spaces around the credentials', () => {
      const token = Buffer.from('user:p:ss wörd').toString('base64');
      expect(guard.canActivate(authContext(`basic ${token}`).context)).toBe(true);
      expect(guard.canActivate(authContext(`BASIC   ${token}  `).context)).toBe(true);
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong password', basic('user:wrong')],
      ['a wrong user', basic('admin:p:ss wörd')],
      ['a password prefix', basic('user:p:ss')],
      ['the password with a suffix', basic('user:p:ss wördx')],
      ['no password', basic('user')],
      ['empty credentials', 'Basic '],
      ['the scheme alone', 'Basic'],
      ['another scheme', `Bearer ${Buffer.from('user:p:ss wörd').toString('base64')}`],
      ['credentials without a scheme', Buffer.from('user:p:ss wörd').toString('base64')],
      ['credentials not base64-encoded', 'Basic user:p:ss wörd'],
      ['garbage', 'Basic !!!%%%***'],
      ['an empty header', ''],
    ])('refuses %s with UnauthorizedError', async (_, header) => {
      await expect(outcome(guard, authContext(header).context)).rejects.toBeInstanceOf(UnauthorizedError);
    });
  });

  describe('failed authentications, throttled before any hashing', () => {
    it('gives each client address AUTH_FAILURE_BURST failures, then 429 with the time to the next token', async () => {
      const { guard, failures } = buildBasicAuthGuard({
        WEB_USERNAME: 'ops',
        WEB_PASSWORD: 'ops pw',
        AUTH_FAILURE_RATE: '0.5',
        AUTH_FAILURE_BURST: '3',
      });
      for (let i = 0; i < 3; i++) {
        await expect(outcome(guard, authContext(basic(`ops:guess ${i}`)).context)).rejects.toBeInstanceOf(UnauthorizedError);
      }
      const refused = outcome(guard, authContext(basic('ops:guess 4')).context);
      await expect(refused).rejects.toBeInstanceOf(AuthThrottledError);
      await expect(refused).rejects.toMatchObject({ decision: { allowed: false, retryAfter: 2 } });
      // Even the right password waits once the address has failed too often; another address does not.
      await expect(outcome(guard, authContext(basic('ops:ops pw')).context)).resolves.toBe(true); // WEB_PASSWORD is cheap: never throttled
      await expect(outcome(guard, authContext(basic('ops:guess 5'), '192.0.2.2').context)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(failures.map((f) => f.reason)).toEqual(['wrong_password', 'wrong_password', 'wrong_password', 'throttled', 'wrong_password']);
      expect(failures[0]).toEqual({ reason: 'wrong_password', address: '192.0.2.1', username: 'ops' });
    });

    it('refills the address bucket with time', async () => {
      const { guard, clock } = buildBasicAuthGuard({
        WEB_USERNAME: 'ops',
        WEB_PASSWORD: 'ops pw',
        AUTH_FAILURE_RATE: '1',
        AUTH_FAILURE_BURST: '1',
      });
      await expect(outcome(guard, authContext(basic('ops:x')).context)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(guard, authContext(basic('ops:x')).context)).rejects.toBeInstanceOf(AuthThrottledError);
      clock.now += 1000;
      await expect(outcome(guard, authContext(basic('ops:x')).context)).rejects.toBeInstanceOf(UnauthorizedError);
    });

    it('limits a name across addresses, and hashes nothing once its bucket is empty', async () => {
      const { guard, hashes } = buildBasicAuthGuard({ CALLERS: ALICE, AUTH_NAME_FAILURE_RATE: '0.1', AUTH_NAME_FAILURE_BURST: '2' });
      const from = (i: number) => authContext(basic(`alice:guess ${i}`), `198.51.100.${i}`).context;
      await expect(outcome(guard, from(1))).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(guard, from(2))).rejects.toBeInstanceOf(UnauthorizedError);
      for (let i = 3; i < 10; i++) await expect(outcome(guard, from(i))).rejects.toBeInstanceOf(AuthThrottledError);
      expect(hashes).toEqual(['bcrypt', 'bcrypt']);
      // Other names are not affected.
      await expect(outcome(guard, authContext(basic('bob:x'), '198.51.100.50').context)).rejects.toBeInstanceOf(UnauthorizedError);
    });

    it('lets the real caller in during a flood on its name: a recently verified password needs no hash and no token', async () => {
      const { guard, hashes } = buildBasicAuthGuard({ CALLERS: ALICE, AUTH_NAME_FAILURE_RATE: '0.1', AUTH_NAME_FAILURE_BURST: '2' });
      const real = () => authContext(basic('alice:alice pw'), '203.0.113.5');
      await expect(outcome(guard, real().context)).resolves.toBe(true);
      for (let i = 0; i < 20; i++) {
        await outcome(guard, authContext(basic(`alice:flood ${i}`), `198.51.100.${i}`).context).catch(() => undefined);
      }
      const during = real();
      await expect(outcome(guard, during.context)).resolves.toBe(true);
      expect(callerOf(during.request)?.name).toBe('alice');
      expect(hashes).toHaveLength(3); // the real password once, then two guesses: the rest were refused unhashed
    });

    it('counts failures only: a right password gives its tokens back', async () => {
      const { guard } = buildBasicAuthGuard({
        CALLERS: ALICE,
        AUTH_FAILURE_RATE: '0.01',
        AUTH_FAILURE_BURST: '1',
        AUTH_NAME_FAILURE_RATE: '0.01',
        AUTH_NAME_FAILURE_BURST: '1',
      });
      await expect(outcome(guard, authContext(basic('alice:alice pw')).context)).resolves.toBe(true);
      // The bucket of one is still full: this wrong guess is judged, not throttled.
      await expect(outcome(guard, authContext(basic('alice:wrong')).context)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(guard, authContext(basic('alice:wrong')).context)).rejects.toBeInstanceOf(AuthThrottledError);
    });

    it('takes X-Forwarded-For for the address only from TRUST_PROXY', async () => {
      const env = {
        WEB_USERNAME: 'ops',
        WEB_PASSWORD: 'ops pw',
        AUTH_FAILURE_RATE: '0.01',
        AUTH_FAILURE_BURST: '1',
        AUTH_NAME_FAILURE_RATE: '0',
      };
      const viaProxy = (client: string, peer = '10.0.0.2') => {
        const built = authContext(basic('ops:x'), peer);
        (built.request.headers as Record<string, string>)['x-forwarded-for'] = client;
        return built.context;
      };
      const trusted = buildBasicAuthGuard({ ...env, TRUST_PROXY: '10.0.0.0/8' }).guard;
      await expect(outcome(trusted, viaProxy('198.51.100.1'))).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(trusted, viaProxy('198.51.100.2'))).rejects.toBeInstanceOf(UnauthorizedError); // another client
      await expect(outcome(trusted, viaProxy('198.51.100.1'))).rejects.toBeInstanceOf(AuthThrottledError);
      const untrusting = buildBasicAuthGuard(env).guard;
      await expect(outcome(untrusting, viaProxy('198.51.100.1'))).rejects.toBeInstanceOf(UnauthorizedError);
      // The header is ignored: the same peer, whatever it claims, is one client.
      await expect(outcome(untrusting, viaProxy('198.51.100.2'))).rejects.toBeInstanceOf(AuthThrottledError);
    });
  });

  describe('bounded password checks', () => {
    it('runs at most AUTH_MAX_VERIFICATIONS at once and refuses the next at once, giving its tokens back', async () => {
      const { guard, hashes, failures } = buildBasicAuthGuard({
        CALLERS: ALICE,
        AUTH_MAX_VERIFICATIONS: '1',
        AUTH_FAILURE_RATE: '0.01',
        AUTH_FAILURE_BURST: '2',
        AUTH_NAME_FAILURE_RATE: '0',
      });
      const first = outcome(guard, authContext(basic('alice:one')).context);
      const second = outcome(guard, authContext(basic('alice:two')).context);
      await expect(second).rejects.toBeInstanceOf(VerificationsBusyError);
      await expect(second).rejects.toMatchObject({ decision: { retryAfter: 1 } });
      await expect(first).rejects.toBeInstanceOf(UnauthorizedError);
      expect(hashes).toHaveLength(1);
      expect(failures.map((f) => f.reason)).toEqual(['busy', 'wrong_password']);
      // The busy attempt's token came back: one more judged failure fits in the bucket of two.
      await expect(outcome(guard, authContext(basic('alice:three')).context)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(guard, authContext(basic('alice:four')).context)).rejects.toBeInstanceOf(AuthThrottledError);
    });

    it('shares one hash between concurrent requests with the same credentials, and remembers a wrong one', async () => {
      const { guard, hashes } = buildBasicAuthGuard({ CALLERS: ALICE, AUTH_MAX_VERIFICATIONS: '1' });
      const results = await Promise.allSettled([1, 2, 3].map(() => outcome(guard, authContext(basic('alice:alice pw')).context)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      await outcome(guard, authContext(basic('alice:wrong')).context).catch(() => undefined);
      await outcome(guard, authContext(basic('alice:wrong')).context).catch(() => undefined);
      expect(hashes).toHaveLength(2);
    });
  });

  describe('a cold instance (issue 21)', () => {
    const tight = {
      CALLERS: ALICE,
      AUTH_FAILURE_RATE: '0.001',
      AUTH_FAILURE_BURST: '3',
      AUTH_NAME_FAILURE_RATE: '0.001',
      AUTH_NAME_FAILURE_BURST: '3',
    };

    it('lets 30 concurrent requests with the right, not yet verified password in: no token, no failure, one hash', async () => {
      const { guard, hashes, failures } = buildBasicAuthGuard(tight);
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, () => outcome(guard, authContext(basic('alice:alice pw')).context)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30);
      expect(failures).toEqual([]);
      expect(hashes).toHaveLength(1);
      // The buckets are whole: three wrong guesses still fit, the fourth is throttled.
      for (const n of [1, 2, 3])
        await expect(outcome(guard, authContext(basic(`alice:guess ${n}`)).context)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(outcome(guard, authContext(basic('alice:guess 4')).context)).rejects.toBeInstanceOf(AuthThrottledError);
    });

    it('charges every request waiting on a failing check one token, as if each had come alone', async () => {
      const { guard, hashes, failures } = buildBasicAuthGuard(tight);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => outcome(guard, authContext(basic('alice:wrong')).context)));
      const errors = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).constructor.name : 'fulfilled'));
      expect(errors.filter((e) => e === 'UnauthorizedError')).toHaveLength(3);
      expect(errors.filter((e) => e === 'AuthThrottledError')).toHaveLength(2);
      expect(failures.map((f) => f.reason).sort()).toEqual([
        'throttled',
        'throttled',
        'wrong_password',
        'wrong_password',
        'wrong_password',
      ]);
      expect(hashes).toHaveLength(1); // the wrong password is remembered: the followers cost no hash
    });
  });

  it('names the reason of every refusal, with the address and the name sent', async () => {
    const { guard, failures } = buildBasicAuthGuard({ CALLERS: ALICE });
    await outcome(guard, authContext().context).catch(() => undefined);
    await outcome(guard, authContext(basic('no colon')).context).catch(() => undefined);
    await outcome(guard, authContext(basic('carol:x')).context).catch(() => undefined);
    await outcome(guard, authContext(basic('alice:x')).context).catch(() => undefined);
    expect(failures).toEqual([
      { reason: 'missing', address: '192.0.2.1', username: undefined },
      { reason: 'malformed', address: '192.0.2.1', username: undefined },
      { reason: 'unknown_user', address: '192.0.2.1', username: 'carol' },
      { reason: 'wrong_password', address: '192.0.2.1', username: 'alice' },
    ]);
  });
});
