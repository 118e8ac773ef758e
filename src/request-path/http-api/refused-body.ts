import { IncomingMessage, ServerResponse } from 'node:http';
import { markRefused } from './client-error';

/** The most of a refused body read (and thrown away) so that its caller gets the answer. */
export const DISCARD_LIMIT = 4 * 1024 * 1024;

/**
 * Settles the rest of a refused request's body while (or before) the answer is written. Closing at
 * once would reset the connection with its bytes unread, and the caller could lose the answer
 * (EPIPE, ECONNRESET); so the rest is read and thrown away (nothing kept), up to DISCARD_LIMIT
 * (HTTP_REQUEST_TIMEOUT bounds the time), and the connection is closed when the rest is larger
 * (or turns out larger, or its size is unknown past the limit). `rest` undefined: not declared.
 */
export function discardRefusedBody(req: IncomingMessage, res: ServerResponse, rest: number | undefined): void {
  const refused = markRefused(req.socket);
  if (rest !== undefined && rest > DISCARD_LIMIT) {
    res.setHeader('Connection', 'close');
    return;
  }
  req.once('end', refused.done);
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT) req.socket.destroy();
  });
}

/**
 * For an answer given before the body was read (a refusal by a guard: 401, 429, 503...): the body
 * was never read, and is now thrown away within the bound above. Nothing to do for a request
 * without a body, one read to its end, or one already being read or discarded.
 */
export function discardUnreadBody(res: ServerResponse): void {
  const req = res.req as IncomingMessage | undefined;
  if (!req || req.complete || req.destroyed || req.readableFlowing !== null) return;
  const length = req.headers['content-length'];
  const declared = length === undefined ? undefined : Number(length);
  if (declared === 0 || (declared === undefined && req.headers['transfer-encoding'] === undefined)) return;
  discardRefusedBody(req, res, declared !== undefined && Number.isFinite(declared) ? declared : undefined);
}
