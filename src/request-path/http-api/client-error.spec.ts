import { Duplex } from 'node:stream';
import { answerClientError, LINGER_MS, markRefused } from './client-error';

/** A socket that records what is written and whether it was destroyed. */
function fakeSocket(state: { writable?: boolean; bytesWritten?: number; responding?: boolean } = {}) {
  const listeners = new Map<string, () => void>();
  const socket = {
    writable: state.writable ?? true,
    bytesWritten: state.bytesWritten ?? 0,
    _httpMessage: state.responding === undefined ? null : { headersSent: state.responding },
    written: '',
    destroyed: false,
    end(data: string, done?: () => void) {
      socket.written += data;
      done?.();
    },
    destroy() {
      socket.destroyed = true;
    },
    once(event: string, listener: () => void) {
      listeners.set(event, listener);
    },
    /** The caller closes its side, as after reading the answer. */
    peerEnds() {
      listeners.get('end')?.();
    },
  };
  return socket;
}

const parseError = (code: string, message = 'Parse Error: x') => Object.assign(new Error(message), { code });

function answer(error: Error & { code?: string }, socket = fakeSocket()) {
  answerClientError(error, socket as unknown as Duplex);
  const [head, body] = socket.written.split('\r\n\r\n');
  return { socket, head, body: body === undefined ? undefined : (JSON.parse(body) as { error: string; message: string }) };
}

describe('answerClientError', () => {
  it('answers a target with raw non-ASCII bytes with a JSON 400 that says to percent-encode, then closes', () => {
    const { socket, head, body } = answer(parseError('HPE_INVALID_URL', 'Parse Error: Invalid char in url query'));
    expect(head.split('\r\n')).toEqual([
      'HTTP/1.1 400 Bad Request',
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(JSON.stringify(body))}`,
      'Connection: close',
    ]);
    expect(body).toEqual({
      error: 'malformed_request',
      message:
        'The request could not be parsed: Parse Error: Invalid char in url query (send non-ASCII characters percent-encoded as UTF-8)',
    });
    // A lingering close: the caller may still be sending; the socket goes once the caller closes.
    expect(socket.destroyed).toBe(false);
    socket.peerEnds();
    expect(socket.destroyed).toBe(true);
  });

  it('never answers twice: a refused body still being discarded when the time-out comes is just closed', () => {
    const socket = fakeSocket();
    markRefused(socket as unknown as Duplex); // RequestBodyMiddleware answered 413 and reads the rest
    answerClientError(parseError('ERR_HTTP_REQUEST_TIMEOUT'), socket as unknown as Duplex);
    expect(socket.written).toBe('');
    expect(socket.destroyed).toBe(true);
  });

  it('answers the next request of a kept-alive connection once the refused body was read to its end', () => {
    const socket = fakeSocket();
    markRefused(socket as unknown as Duplex).done();
    const { head } = answer(parseError('HPE_HEADER_OVERFLOW'), socket);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('closes at once on a slow client cut off by a time-out (no lingering for it)', () => {
    const { socket, head } = answer(parseError('ERR_HTTP_REQUEST_TIMEOUT'));
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(socket.destroyed).toBe(true);
  });

  it('closes a lingering socket after LINGER_MS even if the caller never closes', () => {
    jest.useFakeTimers();
    try {
      const { socket } = answer(parseError('HPE_HEADER_OVERFLOW'));
      jest.advanceTimersByTime(LINGER_MS);
      expect(socket.destroyed).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers on a keep-alive connection that already carried answers, and ignores the refused rest', () => {
    const socket = fakeSocket({ bytesWritten: 500, responding: false });
    const { head } = answer(parseError('HPE_HEADER_OVERFLOW'), socket);
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    const written = socket.written;
    answerClientError(parseError('HPE_HEADER_OVERFLOW'), socket as unknown as Duplex); // the next chunk
    expect(socket.written).toBe(written);
  });

  it.each([
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large', 'headers_too_large'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'HTTP/1.1 413 Payload Too Large', 'payload_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 'request_timeout'],
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 'malformed_request'],
  ])('answers %s as Node would, in JSON', (code, statusLine, error) => {
    const { head, body } = answer(parseError(code));
    expect(head.split('\r\n')[0]).toBe(statusLine);
    expect(body?.error).toBe(error);
  });

  it.each([
    ['the peer reset the connection', parseError('ECONNRESET'), fakeSocket()],
    ['the socket is no longer writable', parseError('HPE_INVALID_URL'), fakeSocket({ writable: false })],
    ['an answer was already started', parseError('HPE_INVALID_URL'), fakeSocket({ bytesWritten: 10, responding: true })],
  ])('only closes when %s', (_, error, socket) => {
    answer(error, socket);
    expect(socket.written).toBe('');
    expect(socket.destroyed).toBe(true);
  });
});
