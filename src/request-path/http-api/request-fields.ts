import { MalformedRequestError } from './http-api.errors';
import { jsonObjectMembers } from './json-object-members';
import { isWellFormedText } from '../../wire/well-formed-text';

/** The fields of a request as sent: ordered name/value pairs, first value of a repeated name kept. */
export type RequestFields = Map<string, string>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as UTF-8, refusing invalid sequences instead of replacing them. */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MalformedRequestError('invalid_utf8', `The ${where} is not valid UTF-8`);
  }
}

function decodeComponent(text: string, where: string): string {
  const plain = text.indexOf('+') === -1 ? text : text.replace(/\+/g, ' ');
  if (plain.indexOf('%') === -1) return plain;
  try {
    // decodeURIComponent throws on malformed escapes and on invalid UTF-8.
    return decodeURIComponent(plain);
  } catch {
    throw new MalformedRequestError('invalid_utf8', `The ${where} has a malformed escape or invalid UTF-8`);
  }
}

/**
 * Parses `application/x-www-form-urlencoded` text (a query string or a form
 * body) into `into`, keeping the first value of a repeated name.
 */
export function parseUrlEncoded(text: string, where: string, maxParameters: number, into: RequestFields): void {
  if (text === '') return;
  let count = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++count > maxParameters) {
        throw new MalformedRequestError('too_many_parameters', `The ${where} has more than ${maxParameters} parameters`);
      }
      const eq = text.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decodeComponent(text.slice(start, hasValue ? eq : end), where);
      const value = hasValue ? decodeComponent(text.slice(eq + 1, end), where) : '';
      if (!into.has(name)) into.set(name, value);
    }
    start = end + 1;
  }
}

/**
 * The query string of a request target. Node hands over raw bytes as latin1
 * characters; re-read them as UTF-8 (fatally) when any is not ASCII.
 */
export function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const query = url.slice(q + 1);
  // eslint-disable-next-line no-control-regex -- any byte outside ASCII, control characters included
  if (!/[^\x00-\x7f]/.test(query)) return query;
  return decodeUtf8(Buffer.from(query, 'latin1'), 'query string');
}

/** Parses a JSON object body whose values are strings (null counts as absent). */
export function parseJsonBody(body: Buffer, maxParameters: number, into: RequestFields): void {
  const text = decodeUtf8(body, 'request body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedRequestError('invalid_json', 'The request body must be a JSON object');
  }
  // The text's own order and first values, not JSON.parse's (last value wins, integer keys first).
  const entries = jsonObjectMembers(text);
  if (entries.length > maxParameters) {
    throw new MalformedRequestError('too_many_parameters', `The request body has more than ${maxParameters} fields`);
  }
  const notStrings = entries.filter(([, value]) => typeof value !== 'string' && value !== null).map(([key]) => key);
  if (notStrings.length > 0) {
    throw new MalformedRequestError('invalid_json', `JSON field values must be strings: ${notStrings.join(', ')}`);
  }
  refuseLoneSurrogates(entries);
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    if (seen.has(key)) continue; // a repeated key: the first value wins (null included: absent)
    seen.add(key);
    if (typeof value === 'string') into.set(key, value);
  }
}

/**
 * The same rule as for query and form values, whose bytes must be UTF-8: a
 * JSON `\ud800` escape (in a key or a value) is not Unicode either.
 */
function refuseLoneSurrogates(entries: Array<[string, unknown]>): void {
  const bad = entries.findIndex(([key, value]) => !isWellFormedText(key) || (typeof value === 'string' && !isWellFormedText(value)));
  if (bad === -1) return;
  const [key] = entries[bad];
  // JSON.stringify writes a lone surrogate as its escape, so the name is printable either way.
  const where = `the ${isWellFormedText(key) ? 'value' : 'name'} of field ${JSON.stringify(key)}`;
  throw new MalformedRequestError(
    'invalid_utf8',
    `The request body has a lone surrogate (a \\uD800-\\uDFFF escape without its pair) in ${where}: not valid Unicode`,
  );
}

export type BodyKind = 'form' | 'json' | 'none';

/** Which parser a Content-Type calls for; other media types with a body get 415. */
export function bodyKindOf(contentType: string | undefined, bodyLength: number): BodyKind {
  if (bodyLength === 0) return 'none';
  const type = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) return 'json';
  throw new MalformedRequestError('unsupported_media_type', 'Send fields as application/x-www-form-urlencoded or application/json', 415);
}

/**
 * The fields of a request: the query's, then the body's, a body value
 * replacing the query's for the same name (as Twisted does for Vumi).
 */
export function collectRequestFields(
  url: string,
  contentType: string | undefined,
  body: Buffer | undefined,
  maxParameters: number,
): RequestFields {
  const fields: RequestFields = new Map();
  parseUrlEncoded(queryOf(url), 'query string', maxParameters, fields);
  if (!body) return fields;
  const kind = bodyKindOf(contentType, body.length);
  if (kind === 'none') return fields;
  const bodyFields: RequestFields = new Map();
  if (kind === 'form') parseUrlEncoded(decodeUtf8(body, 'request body'), 'request body', maxParameters, bodyFields);
  else parseJsonBody(body, maxParameters, bodyFields);
  for (const [name, value] of bodyFields) fields.set(name, value);
  if (fields.size > maxParameters) {
    throw new MalformedRequestError('too_many_parameters', `The request has more than ${maxParameters} parameters`);
  }
  return fields;
}
