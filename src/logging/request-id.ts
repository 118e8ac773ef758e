import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';

/** The header a caller may set to trace a request through the logs; always echoed in the answer. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What a caller's own id may look like: short, printable, no separators that would break a log query. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it
 * looks sane, else a new UUID. Set on the response at once, so that every
 * answer carries it, errors included.
 */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/**
 * `{ request_id }` for a log line about a request, read from its response
 * (Node links each response to its request; RequestLog set `req.id`), so
 * that lines written outside the request's own call, like a time-out's,
 * name it too. Empty when there is none, e.g. a fake response in a unit test.
 */
export function requestIdOf(target: object): { request_id?: string } {
  const id = (target as { req?: { id?: unknown } }).req?.id;
  return typeof id === 'string' ? { request_id: id } : {};
}
