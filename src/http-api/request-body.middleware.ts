import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { PayloadTooLargeError } from './http-api.errors';
import { ErrorResponder } from './error-responder';

export interface RequestWithBody extends Request {
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

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly errors: ErrorResponder,
  ) {
    this.limit = config.bodyLimit;
  }

  use(req: RequestWithBody, res: Response, next: NextFunction): void {
    // Nest may mount this once per route of the controller: read the body only once.
    if ((req.method !== 'POST' && req.method !== 'PUT') || req.rawBody !== undefined || req.readableEnded) {
      return next();
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.limit) return this.refuse(res);
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.limit) {
        failed = true;
        req.removeListener('data', onData);
        this.refuse(res);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (failed) return;
      req.rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
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

  private refuse(res: Response): void {
    // The rest of the body is not read: close the connection after answering.
    res.setHeader('Connection', 'close');
    this.errors.send(res, new PayloadTooLargeError(this.limit));
  }
}
