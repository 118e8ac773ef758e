import { IncomingHttpHeaders, request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method: string;
  /** Sent as it is: characters U+0080-U+00FF go out as single raw bytes (latin1), as Node's client writes them. */
  path: string;
  headers?: Record<string, string>;
  /** One Buffer: sent with Content-Length. An array: sent chunked, without Content-Length. */
  body?: Buffer | Buffer[];
}

/**
 * An HTTP request with the control fetch() lacks: raw bytes in the target,
 * HEAD, chunked bodies. Resolves with the answer even when the server stops
 * reading the body early (413), ignoring the write errors that follow.
 */
export function rawHttp(baseUrl: string, options: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.path,
        // Content-Length up front: with `Expect: 100-continue` Node sends the headers at once.
        headers: Buffer.isBuffer(options.body) ? { ...options.headers, 'Content-Length': String(options.body.length) } : options.headers,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${options.method} ${options.path} in ${timeoutMs} ms`)));
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const { body } = options;
    if (Array.isArray(body)) {
      for (const chunk of body) req.write(chunk);
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}
