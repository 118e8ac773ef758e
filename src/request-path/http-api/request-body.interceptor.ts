import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { ClientIdentity } from '../../callers/identity/client-identity';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';
import { ServiceDrainingError } from '../inbound/inbound.errors';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency-key';
import { PendingRequestsService } from '../../reply-path/pending-requests/pending-requests.service';
import { BodyBudget, BodyReservation } from './body-budget';
import { BodyBudgetSpentError, PayloadTooLargeError } from './http-api.errors';
import { discardRefusedBody } from './refused-body';

export interface RequestWithBody extends Request {
  /** The body as read; taken off (undefined) by its one reader, the @Sent decorator. */
  rawBody?: Buffer;
}

/**
 * Reads a POST/PUT body as bytes, up to BODY_LIMIT, after the guards: an interceptor runs after
 * BasicAuthGuard and RateLimitGuard, so a request without the right credentials, or over its
 * rate, is refused on its head alone and not a byte of its body is read (issue 21). Then the
 * checks that need only the head and could still refuse it (draining, a held slot in reply mode,
 * the body budget: 503) come before the first byte too. Parsing happens later, in one place (request-fields.ts), so
 * that UTF-8 and JSON errors get the API's own answers.
 *
 * Mounted on the POST and PUT handlers only: a GET has no body step at all.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly limit: number;
  private readonly replyExpected: boolean;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly budget: BodyBudget,
    private readonly identity: ClientIdentity,
    private readonly lifecycle: LifecycleService,
    private readonly pending: PendingRequestsService,
  ) {
    this.limit = config.bodyLimit;
    this.replyExpected = config.replyExpected;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<RequestWithBody>();
    // Read once: a body already read (or a stream already ended) has nothing left.
    if (req.rawBody !== undefined || req.readableEnded) return next.handle();
    if (this.lifecycle.isDraining) throw new ServiceDrainingError();
    // Reply mode: a request that could not be held is refused before its body is read. One with an
    // Idempotency-Key may be a replay, which needs no slot: hold() decides for it, after the body.
    if (this.replyExpected && req.headers[IDEMPOTENCY_KEY_HEADER] === undefined) {
      this.pending.refuseUnlessRoomFor(this.identity.scopeOf(req));
    }
    const length = req.headers['content-length'];
    const declared = length === undefined ? undefined : Number(length);
    if (declared !== undefined && declared > this.limit) {
      discardRefusedBody(req, http.getResponse<Response>(), declared);
      throw new PayloadTooLargeError(this.limit);
    }
    const reservation = this.budget.reserve(this.identity.addressOf(req), declared ?? this.limit);
    if (!reservation) throw new BodyBudgetSpentError();
    return this.read(req, http.getResponse<Response>(), declared, reservation).then(() => next.handle());
  }

  /**
   * Resolves once the body is on the request; rejects with 413 past BODY_LIMIT; never settles when
   * the caller goes away mid-body (Node's "aborted", e.g. cut off by HTTP_REQUEST_TIMEOUT): there
   * is nobody to answer, and it is no server error to log. The reservation goes back in every case.
   */
  private read(req: RequestWithBody, res: Response, declared: number | undefined, reservation: BodyReservation): Promise<void> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.limit) {
          failed = true;
          req.removeListener('data', onData);
          chunks.length = 0;
          reservation.release();
          discardRefusedBody(req, res, declared !== undefined ? declared - size : undefined);
          reject(new PayloadTooLargeError(this.limit));
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => {
        // The listener (and its chunks) would otherwise live as long as the request: for a held one, minutes.
        req.removeListener('data', onData);
        reservation.release();
        if (failed) return;
        req.rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        chunks.length = 0;
        resolve();
      });
      req.once('close', () => {
        chunks.length = 0;
        reservation.release();
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        reservation.release();
        if (failed) return;
        failed = true;
        chunks.length = 0;
        if (error.code === 'ECONNRESET' || req.destroyed) return;
        reject(error);
      });
    });
  }
}
