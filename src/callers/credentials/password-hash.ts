import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { HashAlgorithm } from '../auth/auth-events';
import type * as NodeRsBcrypt from '@node-rs/bcrypt';
import { isBcryptHash, parseScrypt } from '../../config/password-hash-format';

/** The native add-on, loaded at its first use: a service whose callers have no bcrypt hash never maps it (about 4 MB). */
let bcryptModule: typeof NodeRsBcrypt | undefined;

/** Loads the add-on now, at boot, when some stored hash is bcrypt: not on the event loop of a first request. */
export function loadHashersFor(stored: Iterable<string>): void {
  for (const hash of stored) if (isBcryptHash(hash)) return void bcrypt();
}

function bcrypt(): typeof NodeRsBcrypt {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required lazily: only a callers list with bcrypt hashes loads the native module
  return (bcryptModule ??= require('@node-rs/bcrypt') as typeof NodeRsBcrypt);
}

/**
 * Password hashes of the callers list (the formats: config/password-hash-format.ts). Two formats:
 *
 * - `scrypt$<N>$<r>$<p>$<salt>$<hash>`: node:crypto's scrypt, salt and hash
 *   in base64 (padding optional), N a power of two. `npm run hash-password`
 *   writes this one.
 * - bcrypt, `$2a$`/`$2b$`/`$2y$` + cost + 53 characters, checked with
 *   @node-rs/bcrypt (native, on libuv's thread pool; the hashes bcryptjs
 *   wrote before verify unchanged, passwords past 72 bytes truncated alike).
 *
 * Both run off the main thread: a password check costs the event loop
 * nothing but a callback, so liveness and other callers keep their latency
 * while hashes run. How many run at once is CallerCredentials' business.
 */

/** Parameters `hashPassword` uses: 16 MiB of memory, about 50 ms per hash. */
export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1, saltBytes: 16, keyBytes: 32 };

function derive(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** scrypt needs 128·N·r bytes; allow that plus headroom (Node's default cap is 32 MiB). */
function scryptOptions({ N, r, p }: { N: number; r: number; p: number }): ScryptOptions {
  return { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
}

/** The algorithm of a stored hash that passwordHashProblem accepted. */
export function algorithmOf(stored: string): HashAlgorithm {
  return isBcryptHash(stored) ? 'bcrypt' : 'scrypt';
}

/** Whether `password` matches `stored`; false for a hash it cannot read. Comparisons are constant-time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (isBcryptHash(stored)) return bcrypt().verify(password, stored);
  const parsed = parseScrypt(stored);
  if (!parsed) return false;
  const derived = await derive(password, parsed.salt, parsed.hash.length, scryptOptions(parsed));
  return timingSafeEqual(derived, parsed.hash);
}

/** An scrypt hash of `password` in the format verifyPassword reads. */
export async function hashPassword(password: string, params: Partial<typeof SCRYPT_DEFAULTS> = {}): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = { ...SCRYPT_DEFAULTS, ...params };
  const salt = randomBytes(saltBytes);
  const hash = await derive(password, salt, keyBytes, scryptOptions({ N, r, p }));
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** bcrypt cost `hashPassword --bcrypt` writes: about 250 ms on one core of a 2020s server. */
export const BCRYPT_DEFAULT_COST = 12;

/** A bcrypt ($2b$) hash of `password`, for callers lists shared with bcrypt-based tools. */
export function hashPasswordBcrypt(password: string, cost = BCRYPT_DEFAULT_COST): Promise<string> {
  return bcrypt().hash(password, cost);
}
