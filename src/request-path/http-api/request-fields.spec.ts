import fc from 'fast-check';
import { MalformedRequestError } from './http-api.errors';
import { bodyKindOf, collectRequestFields, decodeUtf8, parseJsonBody, parseUrlEncoded, queryOf, RequestFields } from './request-fields';

const MAX = 100;

function urlEncoded(text: string, max = MAX): Array<[string, string]> {
  const into: RequestFields = new Map();
  parseUrlEncoded(text, 'query string', max, into);
  return [...into];
}

function json(text: string | Buffer, max = MAX): Array<[string, string]> {
  const into: RequestFields = new Map();
  parseJsonBody(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), max, into);
  return [...into];
}

function collect(url: string, contentType?: string, body?: string | Buffer, max = MAX): Array<[string, string]> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return [...collectRequestFields(url, contentType, bytes, max)];
}

/** The MalformedRequestError a call throws, to check its code and status. */
function refusal(run: () => unknown): MalformedRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedRequestError);
    return error as MalformedRequestError;
  }
  throw new Error('expected a MalformedRequestError');
}

describe('parseUrlEncoded', () => {
  it('keeps the order in which fields were sent', () => {
    expect(urlEncoded('to_addr=555&from_addr=123&content=hi')).toEqual([
      ['to_addr', '555'],
      ['from_addr', '123'],
      ['content', 'hi'],
    ]);
  });

  it('keeps the first value of a repeated name, at its first position', () => {
    expect(urlEncoded('a=1&b=2&a=3')).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('reads + as a space and %2B as a plus, in names and values', () => {
    expect(urlEncoded('con+tent=hello+world&x=1%2B1')).toEqual([
      ['con tent', 'hello world'],
      ['x', '1+1'],
    ]);
  });

  it('decodes percent-encoded UTF-8', () => {
    expect(urlEncoded('content=%C3%B6%C3%A6%C5%82&%C3%B6=1')).toEqual([
      ['content', 'öæł'],
      ['ö', '1'],
    ]);
  });

  it('takes a name without "=" as an empty value, and skips empty pairs', () => {
    expect(urlEncoded('&a&&b=&c=1=2&')).toEqual([
      ['a', ''],
      ['b', ''],
      ['c', '1=2'],
    ]);
  });

  it('yields nothing for an empty string', () => {
    expect(urlEncoded('')).toEqual([]);
  });

  it.each(['content=%zz', 'content=%', 'content=%4', '%g1=x'])('refuses the malformed escape in %s', (text) => {
    const error = refusal(() => urlEncoded(text));
    expect(error.code).toBe('invalid_utf8');
    expect(error.status).toBe(400);
  });

  it.each([
    ['a lone continuation byte', 'content=%80'],
    ['a truncated sequence', 'content=%E2%82'],
    ['an overlong encoding', 'content=%C0%AF'],
    ['an encoded surrogate', 'content=%ED%A0%80'],
    ['an 0xFF byte', 'content=%FF'],
  ])('refuses invalid UTF-8: %s', (_, text) => {
    expect(refusal(() => urlEncoded(text)).code).toBe('invalid_utf8');
  });

  it('refuses more than maxParameters parameters, counting repeats', () => {
    expect(urlEncoded('a=1&a=2&a=3', 3)).toEqual([['a', '1']]);
    const error = refusal(() => urlEncoded('a=1&b=2&c=3&a=4', 3));
    expect(error.code).toBe('too_many_parameters');
    expect(error.status).toBe(400);
  });
});

describe('queryOf', () => {
  it('is empty without a query', () => {
    expect(queryOf('/http_api')).toBe('');
    expect(queryOf('/http_api?')).toBe('');
  });

  it('returns an ASCII query as it is', () => {
    expect(queryOf('/http_api?a=1&b=%C3%B6')).toBe('a=1&b=%C3%B6');
  });

  it('re-reads raw non-ASCII bytes (handed over by Node as latin1) as UTF-8', () => {
    const raw = Buffer.from('/http_api?content=öæł', 'utf8').toString('latin1');
    expect(queryOf(raw)).toBe('content=öæł');
  });

  it('refuses raw bytes that are not UTF-8', () => {
    const raw = Buffer.concat([Buffer.from('/p?content='), Buffer.from([0xff, 0xfe])]).toString('latin1');
    expect(refusal(() => queryOf(raw)).code).toBe('invalid_utf8');
  });
});

describe('decodeUtf8', () => {
  it('decodes UTF-8 and refuses invalid bytes instead of replacing them', () => {
    expect(decodeUtf8(Buffer.from('öæł'), 'request body')).toBe('öæł');
    const error = refusal(() => decodeUtf8(Buffer.from([0x61, 0xc3]), 'request body'));
    expect(error.message).toContain('request body');
  });
});

describe('parseJsonBody', () => {
  it('takes string fields in the order sent', () => {
    expect(json('{"to_addr":"555","from_addr":"123","content":"hi","10":"x"}')).toEqual([
      ['to_addr', '555'],
      ['from_addr', '123'],
      ['content', 'hi'],
      ['10', 'x'],
    ]);
  });

  it('keeps the first value of a repeated key', () => {
    expect(json('{"content":"first","to_addr":"555","content":"second"}')).toEqual([
      ['content', 'first'],
      ['to_addr', '555'],
    ]);
  });

  it('reads escapes in keys and values', () => {
    expect(json('{"con\\u0074ent":"a\\"b\\\\c\\u00f6","x":"{,}"}')).toEqual([
      ['content', 'a"b\\cö'],
      ['x', '{,}'],
    ]);
  });

  it('finds member boundaries whatever the spacing and the characters inside strings', () => {
    expect(json('\n{ "a" :\t"}," ,\r\n"b":"x\\"]" , "a":"2" }\n')).toEqual([
      ['a', '},'],
      ['b', 'x"]'],
    ]);
    expect(refusal(() => json('{"a":{"b":["}\\"",{}]},"c":"d"}')).message).toBe('JSON field values must be strings: a');
  });

  it('agrees with JSON.parse on any object of strings written by JSON.stringify', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string(), { maxKeys: 20 }), fc.nat(4), (object, indent) => {
        expect(json(JSON.stringify(object, null, indent))).toEqual(Object.entries(object));
      }),
    );
  });

  it('counts null as absent', () => {
    expect(json('{"content":"hi","group":null}')).toEqual([['content', 'hi']]);
  });

  it('accepts an empty object', () => {
    expect(json(' { } ')).toEqual([]);
  });

  it.each(['[]', '"text"', '42', 'null', 'true'])('refuses the non-object body %s', (text) => {
    const error = refusal(() => json(text));
    expect(error.code).toBe('invalid_json');
    expect(error.message).toBe('The request body must be a JSON object');
  });

  it('refuses non-string values, naming each field', () => {
    const error = refusal(() => json('{"content":1,"to_addr":"555","group":{"a":"b"},"x":[],"y":true}'));
    expect(error.code).toBe('invalid_json');
    expect(error.message).toBe('JSON field values must be strings: content, group, x, y');
  });

  it.each(['{', '{"a":}', "{'a':'b'}", '{"a":"b",}', ''])('refuses malformed JSON %p', (text) => {
    expect(refusal(() => json(text)).code).toBe('invalid_json');
  });

  it('refuses invalid UTF-8 before parsing', () => {
    const body = Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(refusal(() => json(body)).code).toBe('invalid_utf8');
  });

  it('refuses more than maxParameters fields', () => {
    expect(refusal(() => json('{"a":"1","b":"2","c":"3"}', 2)).code).toBe('too_many_parameters');
  });

  it('takes exactly maxParameters fields (the cap is inclusive)', () => {
    expect(json('{"a":"1","b":"2","c":"3"}', 3)).toHaveLength(3);
  });

  it.each([
    ['a lone high surrogate in a value', '{"content":"a\\ud800b"}', 'value of field "content"'],
    ['a lone low surrogate in a value', '{"content":"\\udc00"}', 'value of field "content"'],
    ['a high surrogate at the end of a value', '{"to_addr":"555","content":"x\\ud83d"}', 'value of field "content"'],
    ['a lone surrogate in a key', '{"\\ud800":"x"}', 'name of field "\\ud800"'],
  ])('refuses %s as invalid_utf8, as form and query values are', (_what, text, where) => {
    const error = refusal(() => json(text));
    expect(error.code).toBe('invalid_utf8');
    expect(error.message).toContain('lone surrogate');
    expect(error.message).toContain(where);
  });

  it('accepts a surrogate pair, escaped or raw (a real code point)', () => {
    expect(json('{"content":"\\ud83d\\ude00 \u{1F600}"}')).toEqual([['content', '\u{1F600} \u{1F600}']]);
  });
});

describe('bodyKindOf', () => {
  it.each([
    ['application/x-www-form-urlencoded', 'form'],
    ['Application/X-WWW-Form-Urlencoded; charset=UTF-8', 'form'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/vnd.api+json', 'json'],
  ])('reads %s as %s', (type, kind) => {
    expect(bodyKindOf(type, 10)).toBe(kind);
  });

  it('needs no type for an empty body', () => {
    expect(bodyKindOf(undefined, 0)).toBe('none');
    expect(bodyKindOf('text/plain', 0)).toBe('none');
  });

  it.each([undefined, 'text/plain', 'multipart/form-data; boundary=x'])('answers 415 to a body of type %p', (type) => {
    const error = refusal(() => bodyKindOf(type, 10));
    expect(error.code).toBe('unsupported_media_type');
    expect(error.status).toBe(415);
  });
});

describe('collectRequestFields', () => {
  const FORM = 'application/x-www-form-urlencoded';

  it('reads the query of a request without a body', () => {
    expect(collect('/p?a=1&b=2')).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('lets a form body value replace the query value of the same name', () => {
    expect(collect('/p?a=1&b=2', FORM, 'b=3&c=4&b=5')).toEqual([
      ['a', '1'],
      ['b', '3'],
      ['c', '4'],
    ]);
  });

  it('lets a JSON body value replace the query value of the same name', () => {
    expect(collect('/p?content=query&to_addr=555', 'application/json', '{"content":"body","from_addr":"123"}')).toEqual([
      ['content', 'body'],
      ['to_addr', '555'],
      ['from_addr', '123'],
    ]);
  });

  it('ignores an empty body whatever its type', () => {
    expect(collect('/p?a=1', 'text/plain', '')).toEqual([['a', '1']]);
  });

  it('refuses invalid UTF-8 in a form body', () => {
    const body = Buffer.concat([Buffer.from('content='), Buffer.from([0xc3, 0x28])]);
    expect(refusal(() => collect('/p', FORM, body)).code).toBe('invalid_utf8');
  });

  it('refuses more than maxParameters distinct fields across query and body', () => {
    expect(collect('/p?a=1&b=2', FORM, 'a=3', 2)).toHaveLength(2);
    expect(refusal(() => collect('/p?a=1&b=2', FORM, 'c=3', 2)).code).toBe('too_many_parameters');
  });
});
