import { preferredReplyFormat, ReplyFormatNegotiator } from './reply-format';

describe('preferredReplyFormat (Accept negotiation of a held answer)', () => {
  it.each<[string | undefined, 'text' | 'json']>([
    // A preference for JSON.
    ['application/json', 'json'],
    ['Application/JSON', 'json'],
    ['application/json;q=1, text/plain;q=0.5', 'json'],
    ['text/plain;q=0.5, application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/*', 'json'],
    ['application/json, */*', 'json'], // named beside the wildcard: more specific
    ['application/json, text/*', 'json'], // equal weights, json named exactly
    ['application/json, text/javascript, */*; q=0.01', 'json'], // jQuery's dataType json
    ['*/*;q=0.1, application/json;q=0.2', 'json'],
    ['text/plain;q=0, */*', 'json'], // text refused outright
    // A preference for text.
    ['text/plain', 'text'],
    ['text/*', 'text'],
    ['text/plain, */*;q=0.8', 'text'],
    ['application/json;q=0.9, */*', 'text'], // text at 1 through the wildcard beats json at 0.9
    ['application/json;q=0, */*', 'text'],
    ['application/json;q=0.5, text/plain;q=0.6', 'text'],
    ['text/html, text/plain;q=0.9', 'text'],
  ])('%j → %s whatever REPLY_FORMAT says', (accept, format) => {
    expect(preferredReplyFormat(accept, 'text')).toBe(format);
    expect(preferredReplyFormat(accept, 'json')).toBe(format);
  });

  it.each<[string | undefined]>([
    [undefined],
    [''],
    ['*/*'],
    [' */* '],
    ['*/*;q=0.5'],
    ['application/json, text/plain, */*'], // axios' default: both named alike
    ['text/plain, application/json'],
    ['application/json;q=0.5, text/plain;q=0.500'],
    ['image/png'], // neither acceptable: no 406 for a reply
    ['application/json;q=0, text/plain;q=0'],
    ['garbage'],
    [','],
    ['application/json;q=2'], // a malformed q drops the element
    ['application/json;q=abc, text/plain;q=1.5'],
  ])('%j states no preference: REPLY_FORMAT decides', (accept) => {
    expect(preferredReplyFormat(accept, 'text')).toBe('text');
    expect(preferredReplyFormat(accept, 'json')).toBe('json');
  });

  it('reads q as RFC 9110 writes it, ignoring accept-ext parameters after it', () => {
    expect(preferredReplyFormat('application/json;q=0.001, text/plain;q=0', 'text')).toBe('json');
    expect(preferredReplyFormat('application/json ; Q=1.000 ; ext=1, text/plain;q=0.999', 'text')).toBe('json');
    expect(preferredReplyFormat('text/plain;level=1;q=1, application/json;q=1.', 'json')).toBe('json'); // same weight, both exact
  });
});

describe('ReplyFormatNegotiator', () => {
  it('answers REPLY_FORMAT without Accept and the negotiated format with one, remembering the last header', () => {
    const text = new ReplyFormatNegotiator({ replyFormat: 'text' });
    const json = new ReplyFormatNegotiator({ replyFormat: 'json' });
    expect([text.formatFor(undefined), json.formatFor(undefined)]).toEqual(['text', 'json']);
    expect([text.formatFor('*/*'), json.formatFor('*/*')]).toEqual(['text', 'json']);
    expect([text.formatFor('application/json, text/plain;q=0.5'), json.formatFor('text/plain')]).toEqual(['json', 'text']);
    // The same header again, then another: each is its own answer.
    expect(text.formatFor('application/json, text/plain;q=0.5')).toBe('json');
    expect(text.formatFor('text/plain')).toBe('text');
    expect(text.formatFor(undefined)).toBe('text');
  });
});
