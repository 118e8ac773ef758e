import { timingSafeEqual } from 'node:crypto';
import { ExecutionContext } from '@nestjs/common';
import { BasicAuthGuard } from './basic-auth.guard';
import { buildBasicAuthGuard, outcome } from './basic-auth.guard.testing';
import { UnauthorizedError } from './http-api.errors';

/**
 * No timing leak, checked by structure rather than by a stopwatch: whatever
 * a caller sends as credentials, the guard does the same work, one
 * timingSafeEqual over two SHA-256 digests of fixed length. A comparison
 * that returned early on a length mismatch or a first differing byte would
 * show here as a missing or differently sized call.
 */

// The real comparison, observed: every call goes through unchanged.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});
const compare = timingSafeEqual as jest.MockedFunction<typeof timingSafeEqual>;

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

function contextWith(authorization: string | undefined): ExecutionContext {
  const request = { headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress: '192.0.2.1' } };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

const WRONG: Array<[string, string | undefined]> = [
  ['no header', undefined],
  ['an empty header', ''],
  ['another scheme', 'Bearer abc.def'],
  ['Basic without credentials', 'Basic'],
  ['Basic with spaces only', 'Basic    '],
  ['not base64', 'Basic !!!%%%'],
  ['no colon', `Basic ${b64('user')}`],
  ['a wrong password of the same length', `Basic ${b64('user:pasx')}`],
  ['a wrong user', `Basic ${b64('usex:pass')}`],
  ['a password one character longer', `Basic ${b64('user:passs')}`],
  ['a password one character shorter', `Basic ${b64('user:pas')}`],
  ['a very short pair', `Basic ${b64('u:')}`],
  ['a 10 kB password', `Basic ${b64(`user:${'p'.repeat(10_000)}`)}`],
  ['invalid UTF-8', `Basic ${b64(Buffer.from([0x75, 0x3a, 0xff, 0xfe]))}`],
  ['user and password swapped', `Basic ${b64('pass:user')}`],
];

describe('BasicAuthGuard timing', () => {
  let guard: BasicAuthGuard;

  beforeEach(() => {
    guard = buildBasicAuthGuard({ WEB_USERNAME: 'user', WEB_PASSWORD: 'pass', AUTH_FAILURE_RATE: '0', AUTH_NAME_FAILURE_RATE: '0' }).guard;
    compare.mockClear();
  });

  function expectOneFixedLengthComparison(): void {
    expect(compare).toHaveBeenCalledTimes(1);
    const [given, expected] = compare.mock.calls[0] as unknown as [Buffer, Buffer];
    expect([given.length, expected.length]).toEqual([32, 32]);
  }

  it.each(WRONG)('refuses %s after exactly one fixed-length comparison', async (_, header) => {
    await expect(outcome(guard, contextWith(header))).rejects.toBeInstanceOf(UnauthorizedError);
    expectOneFixedLengthComparison();
  });

  it.each([
    ['Basic', `Basic ${b64('user:pass')}`],
    ['basic (any case)', `basic ${b64('user:pass')}`],
  ])('accepts the right credentials (%s) after the same single comparison', (_, header) => {
    expect(guard.canActivate(contextWith(header))).toBe(true);
    expectOneFixedLengthComparison();
  });
});
