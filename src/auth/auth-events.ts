import { Injectable } from '@nestjs/common';

/**
 * Why an authentication failed, a bounded set (a metric label):
 * - `missing`: no Basic credentials at all (the normal first step of a challenge);
 * - `malformed`: credentials without a ":";
 * - `unknown_user`, `wrong_password`: refused by the check;
 * - `throttled`: refused before any check, the address's or the name's failure bucket is empty;
 * - `busy`: refused before any check, AUTH_MAX_VERIFICATIONS password checks are running.
 */
export type AuthFailureReason = 'missing' | 'malformed' | 'unknown_user' | 'wrong_password' | 'throttled' | 'busy';

export const AUTH_FAILURE_REASONS: readonly AuthFailureReason[] = [
  'missing',
  'malformed',
  'unknown_user',
  'wrong_password',
  'throttled',
  'busy',
];

/** The algorithms of password hashes (src/callers/password-hash.ts). */
export type HashAlgorithm = 'bcrypt' | 'scrypt';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['bcrypt', 'scrypt'];

export interface AuthFailure {
  reason: AuthFailureReason;
  /** The client address (ClientIdentity). */
  address: string;
  /** The user name sent, as sent (attacker-chosen text: never a metric label); undefined without one. */
  username?: string;
}

/** Tells observers (metrics, the failure log) of refused authentications and of password hashes run. */
@Injectable()
export class AuthEvents {
  private readonly failureListeners: Array<(failure: AuthFailure) => void> = [];
  private readonly hashListeners: Array<(algorithm: HashAlgorithm) => void> = [];

  onFailure(listener: (failure: AuthFailure) => void): void {
    this.failureListeners.push(listener);
  }

  onHash(listener: (algorithm: HashAlgorithm) => void): void {
    this.hashListeners.push(listener);
  }

  failed(failure: AuthFailure): void {
    for (const listener of this.failureListeners) listener(failure);
  }

  hashed(algorithm: HashAlgorithm): void {
    for (const listener of this.hashListeners) listener(algorithm);
  }
}
