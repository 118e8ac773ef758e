import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';

/** The header a caller may set to trace a request through the logs; always echoed in the answer. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** What a caller's own id may look like: short, printable, no separators that would break a log query. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the caller's X-Request-Id when it
 * looks sane, else a new UUID. Set on the response at once, so that every
 * answer carries it, errors included (the API path's answers carry it from
 * ApiResponder instead: chooseRequestId).
 */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const id = chooseRequestId(req);
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/**
 * The id alone, for a request whose one writer puts it into its answer's
 * headers itself (ApiResponder on the API path): a header set beforehand
 * sends Node's writeHead down its slower path, validating every header again.
 */
export function chooseRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The id RequestLog gave a request (`req.id`), read from its response; undefined when there is none. */
export function requestIdOfResponse(res: ServerResponse): string | undefined {
  const id = (res.req as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * `{ request_id }` for a log line about a request, read from its response
 * (Node links each response to its request; RequestLog set `req.id`), so
 * that lines written outside the request's own call, like a time-out's,
 * name it too. Empty when there is none, e.g. a fake response in a unit test.
 */
export function requestIdOf(target: object): { request_id?: string } {
  const id = requestIdOfResponse(target as ServerResponse);
  return id === undefined ? {} : { request_id: id };
}
