import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { Caller } from './caller';
import { CallerEntry, readCallerList } from './caller-list';
import { verifyPassword } from './password-hash';
import { VerificationCache } from './verification-cache';

/** Distinct credentials whose verification is remembered; beyond it the least recently used go. */
const CACHE_ENTRIES = 1024;

interface Registered {
  caller: Caller;
  passwordHash: string;
}

/**
 * The callers of CALLERS_FILE / CALLERS and their password check. bcrypt and
 * scrypt cost tens of milliseconds by design, so each distinct
 * `user:password` is verified once and the outcome (success or failure) is
 * kept in a bounded cache keyed by the SHA-256 of the credentials; the
 * plain password is never stored. WEB_USERNAME stays with BasicAuthGuard.
 */
@Injectable()
export class CallerCredentials {
  private readonly logger = new Logger('Callers');
  private readonly byName = new Map<string, Registered>();
  private readonly cache = new VerificationCache<Caller | null>(CACHE_ENTRIES);

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    const list = readCallerList(config);
    if (list.problems.length > 0) throw new Error(`Invalid callers list: ${list.problems.join('; ')}`);
    for (const entry of list.entries) {
      this.byName.set(entry.username, { caller: toCaller(entry, config.fieldDefaults), passwordHash: entry.passwordHash });
    }
  }

  /** Whether a callers list is configured at all. */
  get configured(): boolean {
    return this.byName.size > 0;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The caller whose credentials `user:password` are, or null. */
  verify(credentials: string): Promise<Caller | null> {
    const key = createHash('sha256').update(credentials, 'utf8').digest('base64');
    return this.cache.getOrCompute(key, () => this.check(credentials));
  }

  private async check(credentials: string): Promise<Caller | null> {
    const colon = credentials.indexOf(':');
    if (colon === -1) return null;
    const registered = this.byName.get(credentials.slice(0, colon));
    // An unknown user name is refused without hashing: hashing a dummy would hand anyone a CPU lever.
    if (!registered) return null;
    try {
      return (await verifyPassword(credentials.slice(colon + 1), registered.passwordHash)) ? registered.caller : null;
    } catch (error) {
      this.logger.error(`Password check for ${registered.caller.name} failed: ${(error as Error).message}`);
      throw error;
    }
  }
}

function toCaller(entry: CallerEntry, globalDefaults: Record<string, string>): Caller {
  const fieldDefaults = entry.fieldDefaults
    ? Object.entries({ ...globalDefaults, ...entry.fieldDefaults })
    : undefined;
  return Object.freeze({ name: entry.username, rateLimit: entry.rateLimit, fieldDefaults });
}
