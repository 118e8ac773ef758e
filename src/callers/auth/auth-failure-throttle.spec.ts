import { Logger } from '@nestjs/common';
import { loadConfig } from '../../config/config-loader';
import { FallbackRateLimiter } from '../rate-limit/fallback-rate-limiter';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { AuthFailureThrottle } from './auth-failure-throttle';
import { MemoryKnownAddresses } from './known-addresses';

function throttleWith(env: Record<string, string>, limiter: RateLimiter = new MemoryRateLimiter(100, () => 0)) {
  return new AuthFailureThrottle(loadConfig({ INSTANCE_ID: 'unit', ...env }), limiter, new MemoryKnownAddresses(() => 0));
}

describe('AuthFailureThrottle', () => {
  it('takes from the address bucket, then the name bucket, and names the empty one', async () => {
    const throttle = throttleWith({ AUTH_FAILURE_BURST: '5', AUTH_NAME_FAILURE_BURST: '2' });
    expect((await throttle.admit('a', 'shop')).allowed).toBe(true);
    expect((await throttle.admit('b', 'shop')).allowed).toBe(true);
    expect(await throttle.admit('c', 'shop')).toMatchObject({ allowed: false, scope: 'name' });
    for (let i = 0; i < 5; i++) await throttle.admit('d', `name ${i}`);
    expect(await throttle.admit('d', 'other')).toMatchObject({ allowed: false, scope: 'address' });
  });

  it('gives the tokens of an admitted attempt back', async () => {
    const throttle = throttleWith({ AUTH_FAILURE_BURST: '1', AUTH_NAME_FAILURE_BURST: '1' });
    const first = await throttle.admit('a', 'shop');
    if (!first.allowed) throw new Error('refused');
    await throttle.refund(first);
    expect((await throttle.admit('a', 'shop')).allowed).toBe(true);
    expect((await throttle.admit('a', 'shop')).allowed).toBe(false);
  });

  it('keys a name by a digest, however long the name', async () => {
    const keys: string[] = [];
    const recording: RateLimiter = {
      take: async (key, policy) => (keys.push(key), new MemoryRateLimiter().take(key, policy)),
      refund: () => Promise.resolve(),
    };
    await throttleWith({}, recording).admit('198.51.100.1', 'n'.repeat(10_000));
    expect(keys).toEqual(['addr:198.51.100.1', expect.stringMatching(/^name:[A-Za-z0-9_-]{22}$/)]);
  });

  it('turns each bucket off with a rate of 0', async () => {
    const throttle = throttleWith({ AUTH_FAILURE_RATE: '0', AUTH_NAME_FAILURE_RATE: '0', AUTH_FAILURE_BURST: '1' });
    for (let i = 0; i < 5; i++) expect((await throttle.admit('a', 'shop')).allowed).toBe(true);
  });

  it('keeps limiting in memory when the shared limiter fails (Redis away)', async () => {
    const broken: RateLimiter = {
      take: () => Promise.reject(new Error('Connection is closed.')),
      refund: () => Promise.reject(new Error('x')),
    };
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const throttle = throttleWith({ AUTH_FAILURE_BURST: '1' }, new FallbackRateLimiter(broken, new MemoryRateLimiter(100, () => 0)));
    expect((await throttle.admit('a', 'shop')).allowed).toBe(true);
    expect(await throttle.admit('a', 'shop')).toMatchObject({ allowed: false, scope: 'address' });
    jest.restoreAllMocks();
  });

  it('lets an address the name got in from skip the name bucket, and only that one', async () => {
    const throttle = throttleWith({ AUTH_NAME_FAILURE_BURST: '1' });
    const real = await throttle.admit('203.0.113.5', 'shop');
    if (!real.allowed) throw new Error('refused');
    await throttle.succeeded(real);
    expect((await throttle.admit('198.51.100.1', 'shop')).allowed).toBe(true); // the flood drains the name
    expect(await throttle.admit('198.51.100.2', 'shop')).toMatchObject({ allowed: false, scope: 'name' });
    expect((await throttle.admit('203.0.113.5', 'shop')).allowed).toBe(true); // the real caller's address
    expect(await throttle.admit('203.0.113.5', 'bank')).toMatchObject({ allowed: true }); // (another name: its own bucket)
  });
});
