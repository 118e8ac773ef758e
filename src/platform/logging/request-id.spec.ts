import { IncomingMessage, ServerResponse } from 'node:http';
import { requestIdFor, requestIdOf } from './request-id';

function exchange(header?: string): { req: IncomingMessage; res: ServerResponse; sent: Record<string, unknown> } {
  const sent: Record<string, unknown> = {};
  const req = { headers: header === undefined ? {} : { 'x-request-id': header } } as IncomingMessage;
  const res = { setHeader: (name: string, value: unknown) => (sent[name] = value) } as unknown as ServerResponse;
  return { req, res, sent };
}

describe('request ids', () => {
  it("takes the caller's X-Request-Id when sane and echoes it", () => {
    const { req, res, sent } = exchange('2f1c-abc_1.2:3@x/y+z=');
    expect(requestIdFor(req, res)).toBe('2f1c-abc_1.2:3@x/y+z=');
    expect(sent['X-Request-Id']).toBe('2f1c-abc_1.2:3@x/y+z=');
  });

  it.each([undefined, '', 'has space', 'quote"', 'x'.repeat(129), 'line\nbreak', 'ünï'])('generates a UUID instead of %p', (header) => {
    const { req, res, sent } = exchange(header);
    const id = requestIdFor(req, res);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent['X-Request-Id']).toBe(id);
  });

  it('reads the id of a held request from its response', () => {
    expect(requestIdOf({ req: { id: 'abc' } })).toEqual({ request_id: 'abc' });
    expect(requestIdOf({})).toEqual({});
  });
});
