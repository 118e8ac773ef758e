import { Duplex } from 'node:stream';
import { JSON_UTF8 } from '../../common/content-types';
import { markTimedOutByServer } from '../../common/server-time-outs';

/** A server socket as Node's HTTP server leaves it: `_httpMessage` is the response in flight. */
export type ServerSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

/** Node's parser refusals, by error code: status, reason phrase, the API's error code. */
const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers_too_large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large', 'payload_too_large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout'],
};
const BAD_REQUEST: [number, string, string] = [400, 'Bad Request', 'malformed_request'];

/**
 * The server's 'clientError' handler: requests Node's HTTP parser refuses
 * never reach Nest, and Node's default answer is a bare 400 without a body.
 * The commonest case is a caller's mistake the API should explain: raw
 * non-ASCII bytes in the request target (e.g. `curl '...?content=ö'`), which
 * Node 20's parser refuses (HPE_INVALID_URL) where Twisted took them. Same
 * rules as Node's default handler otherwise: answer only if nothing was
 * written yet, then close (lingering, see lingerThenDestroy).
 */
export function answerClientError(error: Error & { code?: string }, socket: ServerSocket): void {
  // The server's own time-out, not a caller gone: the metrics count the request in flight as 408.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') markTimedOutByServer(socket);
  if (answered.has(socket)) {
    // More of a request already refused (lingerThenDestroy discards it), or a refused body still
    // being discarded that ran out of time: never a second answer.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.destroy();
    return;
  }
  // The response in flight on this socket, if any (Node's own test). Not bytesWritten: on a
  // keep-alive connection that counts earlier answers, and the error would go unanswered.
  if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code] = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
  const hint = error.code === 'HPE_INVALID_URL' ? ' (send non-ASCII characters percent-encoded as UTF-8)' : '';
  const body = JSON.stringify({ error: code, message: `The request could not be parsed: ${error.message}${hint}` });
  answered.add(socket);
  const answer =
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${JSON_UTF8}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  // A client cut off for being slow gets no more time; a refused request may still be arriving.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.end(answer, () => socket.destroy());
  else {
    socket.end(answer);
    lingerThenDestroy(socket);
  }
}

/** Sockets whose request was refused (here, or with its body unread: refused-body.ts): no later error is answered. */
const answered = new WeakSet<Duplex>();

/**
 * Records that the request on `socket` was refused and answered while the
 * caller may still be sending it; `done` when it has been read to its end (the
 * kept-alive connection then carries new requests, to be answered as usual).
 */
export function markRefused(socket: Duplex): { done: () => void } {
  answered.add(socket);
  return { done: () => answered.delete(socket) };
}
export const LINGER_MS = 2000;

/**
 * A lingering close: the caller may still be sending the request we refused
 * (a 90 kB request line, say), and destroying a socket with unread data
 * resets the connection, which can throw our answer away before the caller
 * reads it (ECONNRESET instead of a 431). So half-close after the answer,
 * discard what still comes, and destroy once the caller closes, or after
 * LINGER_MS at most.
 */
function lingerThenDestroy(socket: Duplex): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
}
