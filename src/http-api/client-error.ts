import { Duplex } from 'node:stream';

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
 * written yet, then close.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void {
  if (error.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
    socket.destroy();
    return;
  }
  const [status, reason, code] = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
  const hint = error.code === 'HPE_INVALID_URL' ? ' (send non-ASCII characters percent-encoded as UTF-8)' : '';
  const body = JSON.stringify({ error: code, message: `The request could not be parsed: ${error.message}${hint}` });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
