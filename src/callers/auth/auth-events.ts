import { Injectable } from '@nestjs/common';
import { Listeners } from '../../common/listeners';

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

/** The algorithms of password hashes (src/callers/credentials/credentials/password-hash.ts). */
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
  private readonly failureListeners = new Listeners<[failure: AuthFailure]>();
  private readonly hashListeners = new Listeners<[algorithm: HashAlgorithm]>();

  onFailure(listener: (failure: AuthFailure) => void): void {
    this.failureListeners.add(listener);
  }

  onHash(listener: (algorithm: HashAlgorithm) => void): void {
    this.hashListeners.add(listener);
  }

  failed(failure: AuthFailure): void {
    this.failureListeners.emit(failure);
  }

  hashed(algorithm: HashAlgorithm): void {
    this.hashListeners.emit(algorithm);
  }
}
