import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { ServerResponse } from 'node:http';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { JSON_UTF8, TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { ApiRefusal } from '../../common/api-refusal';
import { HeldAnswer } from '../inbound/held-answer';
import { ApiErrorDto, FieldErrorsDto } from './api-answers.dto';
import { REQUEST_ID_HEADER, requestIdOf, requestIdOfResponse } from '../../platform/logging/request-id';
import { IdempotentOutcome } from '../idempotency/idempotency.service';
import { discardUnreadBody } from './refused-body';
import { FieldValidationError, UnauthorizedError } from './http-api.errors';

/** An answer as a value: what ApiResponder.send writes. */
export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sent on every answer given again from the idempotency store (Stripe's name; the IETF draft names none). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * The one writer of the API path's answers. Every outcome (a confirmed message, a held request's
 * reply, time-out or shutdown, a replay from the idempotency store) and every error (from the
 * controller through HttpApiExceptionFilter, from the body interceptor, and errors
 * outside the handler through ApiPathErrorFilter) is turned into an answer here and written by `send`. Caller mistakes are never
 * a 500.
 */
@Injectable()
export class ApiResponder {
  private readonly logger = new Logger('HttpApi');

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {}

  /**
   * Answers an accepted request. A held one is answered when its answer settles, inside the call
   * that settles it (HandOff; a caller gone gets nothing); only `res` is kept until then, never the
   * fields or the body.
   */
  sendOutcome(res: ServerResponse, outcome: IdempotentOutcome): void {
    switch (outcome.kind) {
      case 'accepted':
        return this.sendAccepted(res, outcome.messageId);
      case 'held':
        outcome.answer.onSettled((answer) => this.sendHeld(res, answer));
        return;
      case 'replayed':
        res.setHeader(REPLAYED_HEADER, 'true');
        if (!outcome.answer) return this.sendAccepted(res, outcome.messageId);
        // The representation the first request negotiated, whatever this one's Accept: the reply
        // exists once, and a stored text answer has no session_event to make JSON of
        // (docs/retries-and-limits.md, "Reply mode").
        return this.send(res, {
          status: outcome.answer.status,
          headers: { 'Content-Type': outcome.answer.contentType, Vary: 'Accept' },
          body: outcome.answer.body,
        });
    }
  }

  /**
   * A held request's answer (HeldAnswers): the reply, or the time-out answer, as text or JSON by
   * the caller's `Accept`; so every one says `Vary: Accept`, the text one included.
   */
  sendHeld(res: ServerResponse, answer: HeldAnswer): void {
    if (answer.callerGone) return; // nobody to answer
    this.send(res, { status: answer.status, headers: { 'Content-Type': answer.contentType, Vary: 'Accept' }, body: answer.body });
  }

  sendError(res: ServerResponse, error: unknown): void {
    // A refusal on the head alone (401, 429, 503...): the body, never read, is thrown away within a bound.
    discardUnreadBody(res);
    this.send(res, this.answerFor(error, res));
  }

  /** An answer as a value, written by `write`, the one place answers are written. */
  send(res: ServerResponse, answer: ApiAnswer): void {
    this.write(res, answer.status, answer.headers, answer.body); // each answer is built for its one send
  }

  /** `res`, when given, names the request in the log line of an unexpected error. */
  answerFor(error: unknown, res?: ServerResponse): ApiAnswer {
    if (error instanceof ApiRefusal) return this.refusal(error);
    if (error instanceof FieldValidationError) return json(400, error.problems);
    if (error instanceof UnauthorizedError) {
      const realm = this.config.webAuthDomain.replace(/["\\]/g, '');
      return {
        status: 401,
        headers: { 'Content-Type': TEXT_PLAIN_UTF8, 'WWW-Authenticate': `Basic realm="${realm}"` },
        body: 'Unauthorized',
      };
    }
    if (error instanceof HttpException) {
      return json(error.getStatus(), { error: 'http_error', message: error.message });
    }
    this.logger.error({
      msg: `Unexpected error on the API path: ${(error as Error)?.stack ?? String(error)}`,
      ...(res && requestIdOf(res)),
    });
    return json(500, { error: 'internal_error', message: 'Internal error' });
  }

  private sendAccepted(res: ServerResponse, messageId: string): void {
    this.write(res, 200, { 'Content-Type': JSON_UTF8 }, `{"message_id":"${messageId}"}`); // 32 hex digits: nothing to escape
  }

  /**
   * Writes once, and only while nothing else was. Every header goes into the one writeHead, the
   * request's id included: a header set before it would send Node down its slower path. `headers`
   * is completed in place.
   */
  private write(res: ServerResponse, status: number, headers: Record<string, string | number>, body: string): void {
    if (res.headersSent || res.writableEnded) return; // the caller is gone or already answered
    headers['Content-Length'] = Buffer.byteLength(body, 'utf8');
    const id = requestIdOfResponse(res);
    if (id !== undefined) headers[REQUEST_ID_HEADER] = id;
    res.writeHead(status, headers);
    // A string (UTF-8, as counted above): Node sends it with the head in one chunk, a Buffer would be a second.
    res.end(body);
  }

  /** `{"error": <the refusal's code>, "message": ...}` with its status and headers; a 503 says when to retry. */
  private refusal(refusal: ApiRefusal): ApiAnswer {
    const answer = json(refusal.status, { error: refusal.code, message: refusal.answerMessage ?? refusal.message });
    if (refusal.answerHeaders) Object.assign(answer.headers, refusal.answerHeaders);
    if (refusal.status === 503 && answer.headers['Retry-After'] === undefined)
      answer.headers['Retry-After'] = String(this.config.retryAfter);
    return answer;
  }
}

/** The bodies are the documented shapes (api-answers.dto.ts), checked here by type. */
function json(status: number, body: ApiErrorDto | FieldErrorsDto): ApiAnswer {
  return { status, headers: { 'Content-Type': JSON_UTF8 }, body: JSON.stringify(body) };
}
