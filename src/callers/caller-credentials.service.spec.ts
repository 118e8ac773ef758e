import { ExecutionContext } from '@nestjs/common';
import { hashSync } from 'bcryptjs';
import { loadConfig } from '../config/config-loader';
import { BasicAuthGuard } from '../http-api/basic-auth.guard';
import { UnauthorizedError } from '../http-api/http-api.errors';
import { callerOf } from './caller';
import { CallerCredentials } from './caller-credentials.service';
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
  return { config, credentials: new CallerCredentials(config) };
}

function contextWith(authorization?: string) {
  const request: Record<string, unknown> = { headers: authorization === undefined ? {} : { authorization } };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { request, context };
}

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('CallerCredentials', () => {
  afterEach(() => jest.restoreAllMocks());

  it('verifies each distinct user:password once, however often and however concurrently it comes', async () => {
    const { credentials } = credentialsFor();
    const verify = jest.spyOn(passwordHash, 'verifyPassword');
    const results = await Promise.all([1, 2, 3].map(() => credentials.verify('alice:alice pw')));
    expect(results.map((caller) => caller?.name)).toEqual(['alice', 'alice', 'alice']);
    await credentials.verify('alice:alice pw');
    expect(await credentials.verify('alice:wrong')).toBeNull();
    expect(await credentials.verify('alice:wrong')).toBeNull(); // a failure is remembered too
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses unknown users and credentials without a colon without hashing', async () => {
    const { credentials } = credentialsFor();
    const verify = jest.spyOn(passwordHash, 'verifyPassword');
    expect(await credentials.verify('carol:alice pw')).toBeNull();
    expect(await credentials.verify('alice')).toBeNull();
    expect(verify).not.toHaveBeenCalled();
  });

  it('gives a caller FIELD_DEFAULTS overlaid with its own field_defaults, and its rate limit', async () => {
    const { credentials } = credentialsFor();
    const alice = await credentials.verify('alice:alice pw');
    expect(alice).toEqual({ name: 'alice', rateLimit: { rate: 1, burst: 2 }, fieldDefaults: [['from_addr', 'alice-sc'], ['group', 'g']] });
    expect((await credentials.verify('bob:bob pw'))?.fieldDefaults).toBeUndefined(); // FIELD_DEFAULTS alone
  });
});

describe('BasicAuthGuard with a callers list', () => {
  function guard(env: Record<string, string> = {}) {
    const { config, credentials } = credentialsFor(env);
    return new BasicAuthGuard(config, credentials);
  }

  it('puts the listed caller on the request', async () => {
    const { request, context } = contextWith(basic('alice:alice pw'));
    await expect(guard().canActivate(context)).resolves.toBe(true);
    expect(callerOf(request)?.name).toBe('alice');
  });

  it('keeps WEB_USERNAME working beside the list, synchronously', () => {
    const { request, context } = contextWith(basic('ops:ops pw'));
    expect(guard({ WEB_USERNAME: 'ops', WEB_PASSWORD: 'ops pw' }).canActivate(context)).toBe(true);
    expect(callerOf(request)).toEqual({ name: 'ops' });
  });

  it.each([
    ['a wrong password', basic('alice:bob pw')],
    ['no header', undefined],
    ['the WEB_PASSWORD of another user', basic('alice:ops pw')],
  ])('refuses %s', async (_what, header) => {
    const { request, context } = contextWith(header);
    const withOps = guard({ WEB_USERNAME: 'ops', WEB_PASSWORD: 'ops pw' });
    // No header throws at once; a listed user's wrong password rejects later: both are refusals.
    const outcome = Promise.resolve().then(() => withOps.canActivate(context));
    await expect(outcome).rejects.toBeInstanceOf(UnauthorizedError);
    expect(callerOf(request)).toBeUndefined();
  });
});
