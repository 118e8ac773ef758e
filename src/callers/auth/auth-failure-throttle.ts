import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { RateLimitDecision, RateLimitPolicy } from '../rate-limit/token-bucket';
import { AUTH_FAILURE_LIMITER, KNOWN_ADDRESSES } from './auth.constants';
import { KnownAddresses } from './known-addresses';

/** An attempt let through: the tokens it took, to give back if the password was right. */
export interface AdmittedAttempt {
  readonly allowed: true;
  readonly keys: ReadonlyArray<readonly [string, RateLimitPolicy]>;
  readonly address: string;
  /** The digest of the user name sent, if one was. */
  readonly nameKey?: string;
}

export interface RefusedAttempt {
  readonly allowed: false;
  /** Which bucket was empty: `address` or `name`. */
  readonly scope: 'address' | 'name';
  readonly decision: RateLimitDecision;
}

/**
 * Token buckets of failed authentications, one per client address
 * (AUTH_FAILURE_RATE/BURST) and one per user name (AUTH_NAME_FAILURE_RATE/BURST),
 * consulted before any password is hashed. Every attempt that would need a
 * check takes a token from both; a right password gives them back, so the
 * buckets count failures only, and a flood against a name drains that name's
 * bucket without costing its real caller anything once its password was
 * verified (BasicAuthGuard accepts a recently verified password before it
 * gets here). An address the name got in from before skips the name's bucket
 * (KnownAddresses): the real caller, even when its password is not cached
 * here (a new pod), is not locked out by a flood from elsewhere. Names are
 * hashed into the key: they are attacker-chosen text of any length. Rate 0
 * turns a bucket off.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly perAddress: RateLimitPolicy | null;
  private readonly perName: RateLimitPolicy | null;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    @Inject(AUTH_FAILURE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(KNOWN_ADDRESSES) private readonly known: KnownAddresses,
  ) {
    this.perAddress = config.authFailureRate > 0 ? { rate: config.authFailureRate, burst: config.authFailureBurst } : null;
    this.perName = config.authNameFailureRate > 0 ? { rate: config.authNameFailureRate, burst: config.authNameFailureBurst } : null;
  }

  /** Takes a token per bucket, address first; the first empty one refuses (the name's is then left alone). */
  async admit(address: string, username: string | undefined): Promise<AdmittedAttempt | RefusedAttempt> {
    const keys: Array<readonly [string, RateLimitPolicy]> = [];
    if (this.perAddress) {
      const key = `addr:${address}`;
      const decision = await this.limiter.take(key, this.perAddress);
      if (!decision.allowed) return { allowed: false, scope: 'address', decision };
      keys.push([key, this.perAddress]);
    }
    const nameKey = username === undefined ? undefined : nameDigest(username);
    if (this.perName && nameKey !== undefined && !(await this.known.isKnown(nameKey, address))) {
      const key = `name:${nameKey}`;
      const decision = await this.limiter.take(key, this.perName);
      if (!decision.allowed) return { allowed: false, scope: 'name', decision };
      keys.push([key, this.perName]);
    }
    return { allowed: true, keys, address, nameKey };
  }

  /** The attempt was never judged (no check slot): its tokens go back. */
  async refund(attempt: AdmittedAttempt): Promise<void> {
    await Promise.all(attempt.keys.map(([key, policy]) => this.limiter.refund(key, policy)));
  }

  /** The password was right: the tokens go back, and the address is known for this name from now on. */
  async succeeded(attempt: AdmittedAttempt): Promise<void> {
    await this.refund(attempt);
    if (attempt.nameKey !== undefined) await this.known.remember(attempt.nameKey, attempt.address);
  }
}

function nameDigest(username: string): string {
  return createHash('sha256').update(username, 'utf8').digest('base64url').slice(0, 22);
}
