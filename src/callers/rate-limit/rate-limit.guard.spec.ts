import { ExecutionContext, Logger } from '@nestjs/common';
import { loadConfig } from '../../config/config-loader';
import { Caller } from '../identity/caller';
import { ClientIdentity } from '../identity/client-identity';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { RateLimiter } from './rate-limiter';
import { RateLimitEvents } from './rate-limit-events';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitedError } from './rate-limit.errors';

/** A request from `ip` (and `caller`, as BasicAuthGuard leaves it) and the response headers the guard sets. */
function contextFor(ip: string, caller?: Caller) {
  const headers: Record<string, string> = {};
  const request = { headers: {}, socket: { remoteAddress: ip }, ...(caller && { caller }) };
  const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
  const context = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

function guardWith(env: Record<string, string>, limiter: RateLimiter = new MemoryRateLimiter(100, () => 0)) {
  const events = new RateLimitEvents();
  const limited: Array<string | undefined> = [];
  events.onRateLimited((caller) => limited.push(caller));
  const config = loadConfig({ INSTANCE_ID: 'unit', ...env });
  return { guard: new RateLimitGuard(config, limiter, events, new ClientIdentity(config)), limited };
}

describe('RateLimitGuard', () => {
  it('lets everything through, without headers, when no limit is configured', () => {
    const { guard } = guardWith({});
    const { context, headers } = contextFor('10.0.0.1');
    for (let i = 0; i < 5; i++) expect(guard.canActivate(context)).toBe(true); // synchronous: no promise per request
    expect(headers).toEqual({});
  });

  it('limits each client address without auth, with the RateLimit fields on allowed answers', async () => {
    const { guard, limited } = guardWith({ RATE_LIMIT_RATE: '1', RATE_LIMIT_BURST: '2' });
    const first = contextFor('10.0.0.1');
    await guard.canActivate(first.context);
    expect(first.headers).toEqual({ 'RateLimit-Policy': '"default";q=2;w=2', RateLimit: '"default";r=1;t=1' });
    await guard.canActivate(contextFor('10.0.0.1').context);
    const refused = guard.canActivate(contextFor('10.0.0.1').context);
    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(guard.canActivate(contextFor('10.0.0.2').context)).resolves.toBe(true);
    expect(limited).toEqual([undefined]);
  });

  it("uses a caller's own limit, even with RATE_LIMIT_RATE off, and names the caller", async () => {
    const { guard, limited } = guardWith({});
    const alice: Caller = { name: 'alice', rateLimit: { rate: 1, burst: 1 } };
    await guard.canActivate(contextFor('10.0.0.1', alice).context);
    // Another address, the same caller: one bucket.
    await expect(guard.canActivate(contextFor('10.0.0.2', alice).context)).rejects.toMatchObject({
      decision: { allowed: false, retryAfter: 1 },
    });
    expect(guard.canActivate(contextFor('10.0.0.2', { name: 'bob' }).context)).toBe(true); // no policy of its own: synchronous
    expect(limited).toEqual(['alice']);
  });

  it('fails open when the limiter fails (Redis away)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const broken: RateLimiter = { take: () => Promise.reject(new Error('Connection is closed.')), refund: () => Promise.resolve() };
    const { guard } = guardWith({ RATE_LIMIT_RATE: '1', RATE_LIMIT_BURST: '1' }, broken);
    const { context, headers } = contextFor('10.0.0.1');
    await expect(guard.canActivate(context)).resolves.toBe(true);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(headers).toEqual({});
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
