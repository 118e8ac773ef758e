import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { PayloadTooLargeError } from './http-api.errors';
import { markRefused } from './client-error';

/** The most of a refused body read (and thrown away) so that its caller gets the 413. */
const DISCARD_LIMIT = 4 * 1024 * 1024;

export interface RequestWithBody extends Request {
  /** The body as read; taken off (undefined) by its one reader, the @Sent decorator. */
  rawBody?: Buffer;
}

/**
 * Reads a POST/PUT body as bytes, up to BODY_LIMIT. Parsing happens later, in
 * one place (request-fields.ts), so that UTF-8 and JSON errors get the API's
 * own answers rather than body-parser's.
 */
@Injectable()
export class RequestBodyMiddleware implements NestMiddleware {
  private readonly limit: number;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.limit = config.bodyLimit;
  }

  use(req: RequestWithBody, res: Response, next: NextFunction): void {
    // Read once, whatever mounts it: a body already read (or a stream already ended) has nothing left.
    if ((req.method !== 'POST' && req.method !== 'PUT') || req.rawBody !== undefined || req.readableEnded) {
      return next();
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.limit) return this.refuse(req, res, declared, next);
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.limit) {
        failed = true;
        req.removeListener('data', onData);
        this.refuse(req, res, declared > 0 ? declared - size : undefined, next);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      // The listener (and its chunks) would otherwise live as long as the request: for a held one, minutes.
      req.removeListener('data', onData);
      if (failed) return;
      req.rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      chunks.length = 0;
      next();
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (failed) return;
      failed = true;
      // The caller went away mid-body (Node's "aborted", e.g. cut off by HTTP_REQUEST_TIMEOUT):
      // there is nobody to answer, and it is no server error to log.
      if (error.code === 'ECONNRESET' || req.destroyed) return;
      next(error);
    });
  }

  /**
   * Answers 413 while the caller is still sending. Closing at once would reset the connection with
   * its bytes unread, and the caller could lose the 413 (EPIPE, ECONNRESET); so the rest of the
   * body is read and thrown away, up to DISCARD_LIMIT (HTTP_REQUEST_TIMEOUT bounds the time), and
   * the connection is closed when the rest is larger (or turns out larger). The answer itself is
   * ApiResponder's, through next(error) (api-error-handler.ts).
   */
  private refuse(req: RequestWithBody, res: Response, rest: number | undefined, next: NextFunction): void {
    const refused = markRefused(req.socket);
    if (rest !== undefined && rest > DISCARD_LIMIT) res.setHeader('Connection', 'close');
    else {
      req.once('end', refused.done);
      let discarded = 0;
      req.on('data', (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DISCARD_LIMIT) req.socket.destroy();
      });
    }
    next(new PayloadTooLargeError(this.limit));
  }
}
