import { ExecutionContext } from '@nestjs/common';
import { loadConfig } from '../../config/config-loader';
import { TransportConfig } from '../../config/transport-config';
import { AuthEvents, AuthFailure } from '../../callers/auth/auth-events';
import { AuthFailureThrottle } from '../../callers/auth/auth-failure-throttle';
import { MemoryKnownAddresses } from '../../callers/auth/known-addresses';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { ClientIdentity } from '../../callers/identity/client-identity';
import { MemoryRateLimiter } from '../../callers/rate-limit/memory-rate-limiter';
import { RateLimiter } from '../../callers/rate-limit/rate-limiter';
import { BasicAuthGuard } from './basic-auth.guard';

/** Unit-test wiring of BasicAuthGuard with its real collaborators (memory buckets on a fixed clock). */
export interface GuardUnderTest {
  guard: BasicAuthGuard;
  config: TransportConfig;
  credentials: CallerCredentials;
  failures: AuthFailure[];
  /** Hashes computed, by algorithm, in order. */
  hashes: string[];
  clock: { now: number };
}

export function buildBasicAuthGuard(env: Record<string, string> = {}, limiter?: RateLimiter): GuardUnderTest {
  const config = loadConfig({ INSTANCE_ID: 'unit', ...env });
  const clock = { now: 0 };
  const events = new AuthEvents();
  const failures: AuthFailure[] = [];
  const hashes: string[] = [];
  events.onFailure((failure) => failures.push(failure));
  events.onHash((algorithm) => hashes.push(algorithm));
  const credentials = new CallerCredentials(config, events);
  const throttle = new AuthFailureThrottle(
    config,
    limiter ?? new MemoryRateLimiter(1000, () => clock.now),
    new MemoryKnownAddresses(() => clock.now),
  );
  const guard = new BasicAuthGuard(config, new ClientIdentity(config), throttle, events, credentials);
  return { guard, config, credentials, failures, hashes, clock };
}

/** An ExecutionContext whose request has this Authorization header and comes from `address`. */
export function authContext(authorization?: string, address = '192.0.2.1') {
  const request: Record<string, unknown> = {
    headers: authorization === undefined ? {} : { authorization },
    socket: { remoteAddress: address },
  };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { request, context };
}

export const basic = (credentials: string | Buffer) => `Basic ${Buffer.from(credentials).toString('base64')}`;

/** The guard's verdict as a promise, whether it answered synchronously, threw or rejected. */
export function outcome(guard: BasicAuthGuard, context: ExecutionContext): Promise<boolean> {
  return Promise.resolve().then(() => guard.canActivate(context));
}
