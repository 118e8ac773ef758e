/**
 * The two password-hash formats of the callers list, as text: config/ checks
 * them at boot, callers/credentials/password-hash.ts verifies passwords against them.
 *
 * - `scrypt$<N>$<r>$<p>$<salt>$<hash>`: salt and hash in base64 (padding
 *   optional), N a power of two.
 * - bcrypt, `$2a$`/`$2b$`/`$2y$` + cost + 53 characters.
 */

const SCRYPT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/_-]+={0,2})\$([A-Za-z0-9+/_-]+={0,2})$/;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function isBcryptHash(text: string): boolean {
  return BCRYPT.test(text);
}

/** The parameters of an scrypt hash, or null when it is not one this service can use. */
export function parseScrypt(text: string): ScryptHash | null {
  const match = SCRYPT.exec(text);
  if (!match) return null;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const salt = Buffer.from(match[4], 'base64');
  const hash = Buffer.from(match[5], 'base64');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || r < 1 || p < 1 || N > 2 ** 24 || salt.length === 0 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/** Why a password_hash cannot be used, or null when it can. */
export function passwordHashProblem(text: unknown): string | null {
  if (typeof text !== 'string') return 'must be a string';
  if (BCRYPT.test(text)) return null;
  if (text.startsWith('scrypt$')) {
    return parseScrypt(text) ? null : 'is not scrypt$N$r$p$salt$hash (N a power of two, base64 salt and hash)';
  }
  return 'must be an scrypt$N$r$p$salt$hash or a bcrypt $2b$ hash';
}
