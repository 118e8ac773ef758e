import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { AuthEvents, AuthFailureReason } from '../auth/auth-events';
import { VerificationsBusyError } from '../auth/auth.errors';
import { Caller } from '../identity/caller';
import { CallerEntry } from '../../config/caller-entries';
import { algorithmOf, loadHashersFor, verifyPassword } from './password-hash';
import { BoundedLru } from '../../common/bounded-lru';
import { VerificationSlots } from './verification-slots';

/** Verified passwords kept per listed caller (a rotation overlaps old and new); at least this many in all. */
const VERIFIED_PER_CALLER = 4;
const MIN_VERIFIED = 64;
/** Distinct wrong credentials remembered, so a client retrying one wrong password costs no hash. */
const REFUSED_ENTRIES = 1024;

interface Registered {
  caller: Caller;
  passwordHash: string;
}

/**
 * One version of the list with the caches that belong to it. A reload swaps in a new one whole: a
 * check in flight finishes against the list it started with, and nothing verified under the old
 * list (a removed caller, a rotated password) is recalled under the new one.
 */
class Snapshot {
  readonly byName = new Map<string, Registered>();
  readonly verified: BoundedLru<Caller>;
  readonly refused = new BoundedLru<Verification>(REFUSED_ENTRIES);
  readonly inFlight = new Map<string, Promise<Verification>>();

  constructor(entries: readonly CallerEntry[], fieldDefaults: Record<string, string>) {
    for (const entry of entries) {
      this.byName.set(entry.username, { caller: toCaller(entry, fieldDefaults), passwordHash: entry.passwordHash });
    }
    this.verified = new BoundedLru(Math.max(MIN_VERIFIED, VERIFIED_PER_CALLER * this.byName.size));
  }
}

/** The outcome of a check: the caller, or why not (a bounded reason, for metrics). */
export type Verification =
  | { caller: Caller; reason?: undefined }
  | { caller: null; reason: Extract<AuthFailureReason, 'malformed' | 'unknown_user' | 'wrong_password'> };

/**
 * The callers of CALLERS_FILE / CALLERS and their password check.
 *
 * bcrypt and scrypt cost tens of milliseconds by design, so:
 * - a verified `user:password` is remembered (keyed by the SHA-256 of the
 *   credentials, never the password) in a cache only right passwords enter,
 *   so no flood of wrong ones can push the real caller's out: `recall` then
 *   accepts it with no hash and no throttle;
 * - distinct wrong credentials are remembered apart (bounded), and
 *   concurrent checks of the same credentials share one hash;
 * - at most AUTH_MAX_VERIFICATIONS hashes run at once (off the main thread,
 *   see password-hash.ts); beyond it VerificationsBusyError at once.
 * The failure throttles (AuthFailureThrottle) run before `verify`, in
 * BasicAuthGuard. WEB_USERNAME stays with BasicAuthGuard.
 */
@Injectable()
export class CallerCredentials {
  private readonly logger = new Logger('Callers');
  private current: Snapshot;
  private readonly fieldDefaults: Record<string, string>;
  private readonly slots: VerificationSlots;
  private hashes = 0;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    @Optional() private readonly events?: AuthEvents,
  ) {
    // Parsed and checked by config/ (a bad list never gets this far), at boot and on a reload.
    this.fieldDefaults = config.fieldDefaults;
    this.current = new Snapshot(config.callerEntries, config.fieldDefaults);
    loadHashersFor(config.callerEntries.map((entry) => entry.passwordHash));
    this.slots = new VerificationSlots(config.authMaxVerifications);
  }

  /** Whether a callers list is configured at all. */
  get configured(): boolean {
    return this.current.byName.size > 0;
  }

  get names(): string[] {
    return [...this.current.byName.keys()];
  }

  /**
   * Swaps in a list read again (CallersReloader, entries checked by config/): one assignment, so a
   * request sees the old list or the new one, never a mix; checks in flight end on the old one.
   */
  replace(entries: readonly CallerEntry[]): void {
    loadHashersFor(entries.map((entry) => entry.passwordHash));
    this.current = new Snapshot(entries, this.fieldDefaults);
  }

  /** Password hashes computed since boot (a test hook beside the metric). */
  get hashesComputed(): number {
    return this.hashes;
  }

  /** Password checks running right now. */
  get verificationsInFlight(): number {
    return this.slots.inUse;
  }

  /** The caller whose credentials these are if they were verified recently: no hashing, nothing else. */
  recall(credentials: string): Caller | undefined {
    return this.current.verified.get(digest(credentials));
  }

  /**
   * The caller whose credentials `user:password` are, or why not. Throws
   * VerificationsBusyError when a hash is needed and no slot is free.
   */
  verify(credentials: string): Promise<Verification> {
    const key = digest(credentials);
    const list = this.current;
    const known = list.verified.get(key);
    if (known) return Promise.resolve({ caller: known });
    const refused = list.refused.get(key);
    if (refused) return Promise.resolve(refused);
    const running = list.inFlight.get(key);
    if (running) return running;
    const colon = credentials.indexOf(':');
    if (colon === -1) return Promise.resolve({ caller: null, reason: 'malformed' });
    const registered = list.byName.get(credentials.slice(0, colon));
    // An unknown user name is refused without hashing: hashing a dummy would hand anyone a CPU lever.
    if (!registered) return Promise.resolve({ caller: null, reason: 'unknown_user' });
    if (!this.slots.tryAcquire()) return Promise.reject(new VerificationsBusyError(this.slots.limit));
    const check = this.check(list, key, credentials.slice(colon + 1), registered);
    list.inFlight.set(key, check);
    const forget = () => list.inFlight.delete(key);
    check.then(forget, forget);
    return check;
  }

  private async check(list: Snapshot, key: string, password: string, registered: Registered): Promise<Verification> {
    try {
      this.hashes += 1;
      this.events?.hashed(algorithmOf(registered.passwordHash));
      if (await verifyPassword(password, registered.passwordHash)) {
        list.verified.set(key, registered.caller);
        return { caller: registered.caller };
      }
      const wrong: Verification = { caller: null, reason: 'wrong_password' };
      list.refused.set(key, wrong);
      return wrong;
    } catch (error) {
      // Not remembered: the next attempt checks again.
      this.logger.error(`Password check for ${registered.caller.name} failed: ${(error as Error).message}`);
      throw error;
    } finally {
      this.slots.release();
    }
  }
}

function digest(credentials: string): string {
  return createHash('sha256').update(credentials, 'utf8').digest('base64');
}

function toCaller(entry: CallerEntry, globalDefaults: Record<string, string>): Caller {
  const fieldDefaults = entry.fieldDefaults ? Object.entries({ ...globalDefaults, ...entry.fieldDefaults }) : undefined;
  return Object.freeze({ name: entry.username, rateLimit: entry.rateLimit, fieldDefaults });
}
