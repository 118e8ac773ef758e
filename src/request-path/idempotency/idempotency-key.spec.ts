import { InvalidIdempotencyKeyError } from './idempotency.errors';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { idempotencyKeyOf, requestFingerprint, scopedKey } from './idempotency-key';

describe('idempotencyKeyOf', () => {
  it.each([
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['  "spaced"  ', 'spaced'],
    ['"with \\"quote\\" and \\\\"', 'with "quote" and \\'],
    ['"has space inside"', 'has space inside'],
    ['bare-token_1', 'bare-token_1'],
  ])('reads %s', (header, key) => {
    expect(idempotencyKeyOf(header)).toBe(key);
  });

  it('is undefined without the header', () => {
    expect(idempotencyKeyOf(undefined)).toBeUndefined();
  });

  it.each([
    ['empty', '""'],
    ['blank', '   '],
    ['unclosed', '"abc'],
    ['followed by more', '"a"b'],
    ['two members', '"a", "b"'],
    ['a bare token with a comma', 'a,b'],
    ['a bad escape', '"a\\nb"'],
    ['non-ASCII', '"clé"'],
    ['too long', `"${'k'.repeat(256)}"`],
    ['sent twice', ['"a"', '"b"']],
  ])('refuses a key that is %s with a 400 error', (_what, header) => {
    expect(() => idempotencyKeyOf(header)).toThrow(InvalidIdempotencyKeyError);
  });

  it('takes 255 characters', () => {
    expect(idempotencyKeyOf(`"${'k'.repeat(255)}"`)).toHaveLength(255);
  });
});

describe('keys and fingerprints', () => {
  const fields = (content: string | null): InboundFieldsDto =>
    Object.assign(new InboundFieldsDto(), { to_addr: '1', from_addr: '2', content, group: null, session_event: null });

  it('scopes a key by caller', () => {
    expect(scopedKey('alice', 'k')).not.toBe(scopedKey('bob', 'k'));
    expect(scopedKey(undefined, 'k')).toBe(scopedKey(undefined, 'k'));
  });

  it('tells fields and callers apart, null from empty included', () => {
    expect(requestFingerprint(fields('hi'), 'a')).toBe(requestFingerprint(fields('hi'), 'a'));
    expect(requestFingerprint(fields('hi'), 'a')).not.toBe(requestFingerprint(fields('hi'), 'b'));
    expect(requestFingerprint(fields(''), undefined)).not.toBe(requestFingerprint(fields(null), undefined));
  });
});
