import { hashSync } from 'bcryptjs';
import { hashPassword, passwordHashProblem, verifyPassword } from './password-hash';

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
