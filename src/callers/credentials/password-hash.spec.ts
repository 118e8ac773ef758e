import { hashSync } from '@node-rs/bcrypt';
import { algorithmOf, hashPassword, hashPasswordBcrypt, verifyPassword } from './password-hash';
import { passwordHashProblem } from '../../config/password-hash-format';

describe('password hashes', () => {
  // Small scrypt parameters keep the unit run fast; the format is the same.
  const fast = { N: 1024, r: 8, p: 1 };

  it('verifies an scrypt hash it wrote, and nothing else', async () => {
    const stored = await hashPassword('pässword:1', fast);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(passwordHashProblem(stored)).toBeNull();
    expect(await verifyPassword('pässword:1', stored)).toBe(true);
    expect(await verifyPassword('pässword:2', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts each hash', async () => {
    expect(await hashPassword('same', fast)).not.toBe(await hashPassword('same', fast));
  });

  it('writes the documented default parameters', async () => {
    expect(await hashPassword('x')).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('verifies bcrypt hashes ($2a$, $2b$, $2y$)', async () => {
    const stored = hashSync('bcrypt secret', 4);
    expect(stored.startsWith('$2b$04$')).toBe(true);
    expect(passwordHashProblem(stored)).toBeNull();
    expect(await verifyPassword('bcrypt secret', stored)).toBe(true);
    expect(await verifyPassword('bcrypt secreT', stored)).toBe(false);
    expect(await verifyPassword('bcrypt secret', stored.replace('$2b$', '$2y$'))).toBe(true);
  });

  it('keeps verifying hashes written by bcryptjs, the previous implementation', async () => {
    const a = '$2a$04$BqwInvBdfGYZEfVaBh/ZPewuaiUJ2H4.vhkaoYL.Y0vTjva5pd7xu';
    const b = '$2b$04$w1E91j2eJxJr/aCR6q0vCum2AdcRO7L1dIRsOV.86s2mEFLJpt6jq';
    for (const stored of [a, b]) {
      expect(await verifyPassword('made by bcryptjs', stored)).toBe(true);
      expect(await verifyPassword('made by bcryptjS', stored)).toBe(false);
    }
  });

  it('writes bcrypt hashes too, and names each algorithm', async () => {
    const stored = await hashPasswordBcrypt('b secret', 4);
    expect(stored).toMatch(/^\$2b\$04\$/);
    expect(await verifyPassword('b secret', stored)).toBe(true);
    expect(algorithmOf(stored)).toBe('bcrypt');
    expect(algorithmOf(await hashPassword('s', fast))).toBe('scrypt');
  });

  it('checks off the main thread: the event loop keeps turning during a bcrypt check', async () => {
    const stored = hashSync('slow', 10); // tens of milliseconds of hashing
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await verifyPassword('slow', stored);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0); // a synchronous check would block every timer until it ends
  });

  it.each([
    ['plain text', 'secret'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['a missing part', 'scrypt$1024$8$1$c2FsdA=='],
    ['a short hash', 'scrypt$1024$8$1$c2FsdA==$aGFzaA=='],
    ['a truncated bcrypt hash', '$2b$10$abc'],
    ['not a string', 42],
  ])('names the problem with %s, and never verifies it', async (_what, stored) => {
    expect(passwordHashProblem(stored)).toEqual(expect.any(String));
    if (typeof stored === 'string') expect(await verifyPassword('secret', stored)).toBe(false);
  });
});
