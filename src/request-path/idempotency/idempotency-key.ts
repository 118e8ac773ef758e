import { createHash } from 'node:crypto';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { InvalidIdempotencyKeyError } from './idempotency.errors';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;

function invalid(why: string): InvalidIdempotencyKeyError {
  return new InvalidIdempotencyKeyError(why);
}

/** An RFC 8941 sf-string: DQUOTE, printable ASCII with `\"` and `\\` escapes, DQUOTE. */
function parseSfString(text: string): string {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      if (i !== text.length - 1) throw invalid('has characters after its closing quote');
      return value;
    }
    if (char === '\\') {
      const next = text[++i];
      if (next !== '"' && next !== '\\') throw invalid('has an escape other than \\" or \\\\');
      value += next;
    } else {
      value += char;
    }
  }
  throw invalid('has no closing quote');
}

/**
 * The key of a request, or undefined when it sent none. The IETF draft
 * (draft-ietf-httpapi-idempotency-key-header) makes the value a Structured
 * Field String (`Idempotency-Key: "8e03978e-40d5"`); a bare token is accepted
 * too, as most clients send one. Empty, non-ASCII, over 255 characters or
 * repeated (Node joins repeats with ", ") → 400.
 */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalid('must be sent once');
  const text = header.trim();
  if (/[^\x20-\x7e]/.test(text)) throw invalid('must be printable ASCII');
  const key = text.startsWith('"') ? parseSfString(text) : text;
  if (!text.startsWith('"') && /[\s",]/.test(key)) throw invalid('must be one sf-string, e.g. "a1b2c3"');
  if (key.length === 0) throw invalid('is empty');
  if (key.length > MAX_KEY_LENGTH) throw invalid(`is longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

function sha256(parts: ReadonlyArray<string | null>): string {
  return createHash('sha256').update(JSON.stringify(parts), 'utf8').digest('base64url');
}

/** Where a key is stored: per caller, so that one caller never sees another's answers. */
export function scopedKey(caller: string | undefined, key: string): string {
  return sha256([caller ?? null, key]);
}

/** What "the same request" means: the validated fields (defaults applied) and the caller. */
export function requestFingerprint(fields: InboundFieldsDto, caller: string | undefined): string {
  return sha256([caller ?? null, fields.to_addr, fields.from_addr, fields.content, fields.group, fields.session_event]);
}
