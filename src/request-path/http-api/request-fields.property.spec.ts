import fc from 'fast-check';
import { MalformedRequestError } from './http-api.errors';
import { collectRequestFields, parseJsonBody, parseUrlEncoded, RequestFields } from './request-fields';

/**
 * Property tests of the request parser: whatever a caller sends, the parser
 * either returns fields or throws MalformedRequestError (a 4xx), never
 * anything else (a 500); and well-formed input comes back as sent, first
 * value winning.
 */

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.example+json',
  'application/x-www-form-urlencoded',
  'APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
];

/** A request target as Node hands it over: raw bytes read as latin1. */
const rawTarget = fc.uint8Array({ maxLength: 200 }).map((bytes) => `/p?${Buffer.from(bytes).toString('latin1')}`);
const textTarget = fc.string({ unit: 'binary', maxLength: 200 }).map((text) => `/p?${text}`);
/** Query-like text: mostly separators, escapes and pluses, where parsers break. */
const queryish = fc
  .array(fc.constantFrom('a', 'b', '=', '&', '%', '%2', '%C3', '%A9', '%ZZ', '%00', '+', 'é', '\u0000', '%FF', '%E2%82'), {
    maxLength: 40,
  })
  .map((parts) => `/p?${parts.join('')}`);
const target = fc.oneof(rawTarget, textTarget, queryish);

const jsonText = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.dictionary(fc.string(), fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 2 }))).map((o) => JSON.stringify(o)),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  jsonText.map((text) => Buffer.from(text, 'utf8')),
  queryish.map((text) => Buffer.from(text.slice(3), 'utf8')),
  fc.constant(undefined),
);

function parsesOrRefuses(run: () => unknown): void {
  try {
    const fields = run();
    expect(fields).toBeInstanceOf(Map);
    for (const [name, value] of fields as RequestFields) {
      expect(typeof name).toBe('string');
      expect(typeof value).toBe('string');
    }
  } catch (error) {
    if (!(error instanceof MalformedRequestError)) throw error;
    expect([400, 415]).toContain(error.status);
  }
}

/** Pairs of well-formed Unicode names and values. */
const pairs = fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 12 })), {
  maxLength: 20,
});

/** JSON's insignificant white space, as a pretty-printer or a hand might lay it out. */
const space = fc.array(fc.constantFrom(' ', '\n', '\t', '\r'), { maxLength: 3 }).map((chars) => chars.join(''));

function firstWins(list: Array<[string, string]>): Map<string, string> {
  const expected = new Map<string, string>();
  for (const [name, value] of list) if (!expected.has(name)) expected.set(name, value);
  return expected;
}

describe('request parser (property-based)', () => {
  it('parses any request or refuses it with MalformedRequestError, nothing else', () => {
    fc.assert(
      fc.property(target, fc.constantFrom(...CONTENT_TYPES), body, fc.integer({ min: 1, max: 50 }), (url, type, sent, max) =>
        parsesOrRefuses(() => collectRequestFields(url, type, sent, max)),
      ),
      { numRuns: 3000 },
    );
  });

  it('parses any JSON body or refuses it with MalformedRequestError', () => {
    fc.assert(
      fc.property(jsonText, (text) =>
        parsesOrRefuses(() => {
          const fields: RequestFields = new Map();
          parseJsonBody(Buffer.from(text, 'utf8'), 1000, fields);
          return fields;
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('gives back percent-encoded pairs as sent, the first value of a repeated name winning', () => {
    fc.assert(
      fc.property(pairs, (list) => {
        const text = list.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
        const fields: RequestFields = new Map();
        parseUrlEncoded(text, 'query string', list.length + 1, fields);
        expect([...fields]).toEqual([...firstWins(list)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads form encoding (spaces as +) the same as a browser writes it', () => {
    fc.assert(
      fc.property(pairs, (list) => {
        const fields = collectRequestFields(`/p?${new URLSearchParams(list).toString()}`, undefined, undefined, 1000);
        expect([...fields]).toEqual([...firstWins(list)]);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads a JSON object body in its own order, the first value of a repeated key winning, over the query', () => {
    fc.assert(
      fc.property(pairs, pairs, space, (query, sent, ws) => {
        const member = ([name, value]: [string, string]) => `${JSON.stringify(name)}${ws}:${ws}${JSON.stringify(value)}`;
        const json = `${ws}{${ws}${sent.map(member).join(`${ws},${ws}`)}${ws}}${ws}`;
        const url = `/p?${new URLSearchParams(query).toString()}`;
        const fields = collectRequestFields(url, 'application/json', Buffer.from(json, 'utf8'), 1000);
        const expected = firstWins(query);
        for (const [name, value] of firstWins(sent)) expected.set(name, value);
        expect([...fields]).toEqual([...expected]);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses more than maxParameters pairs with too_many_parameters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 10 }), (max, over) => {
        const text = Array.from({ length: max + over }, (_, n) => `k${n}=v`).join('&');
        // toThrow takes an asymmetric matcher too; its types leave that form out.
        expect(() => collectRequestFields(`/p?${text}`, undefined, undefined, max)).toThrow(
          expect.objectContaining({ code: 'too_many_parameters' }) as Error,
        );
      }),
    );
  });
});
