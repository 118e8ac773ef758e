import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { Response } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { BrokerUnavailableError } from '../amqp/amqp.errors';
import { TooManyPendingRequestsError } from '../pending-requests/pending-requests.errors';
import { ApiErrorDto, FieldErrorsDto } from './api-answers.dto';
import { requestIdOf } from '../logging/request-id';
import {
  IdempotencyKeyInFlightError,
  IdempotencyKeyMismatchError,
  IdempotencyStoreUnavailableError,
} from '../idempotency/idempotency.errors';
import { RateLimitedError } from '../rate-limit/rate-limit.errors';
import { rateLimitHeaders } from '../rate-limit/rate-limit-headers';
import {
  FieldValidationError,
  MalformedRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  ServiceDrainingError,
  UnauthorizedError,
} from './http-api.errors';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
export const ALLOWED_METHODS = 'GET, POST, PUT';

/** The one mapping from the API path's errors to HTTP answers. Caller mistakes are never a 500. */
@Injectable()
export class ErrorResponder {
  private readonly logger = new Logger('HttpApi');

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {}

  /** `res`, when given, names the request in the log line of an unexpected error. */
  answerFor(error: unknown, res?: Response): ErrorAnswer {
    if (error instanceof FieldValidationError) return json(400, error.problems);
    if (error instanceof MalformedRequestError) return json(error.status, { error: error.code, message: error.message });
    if (error instanceof PayloadTooLargeError) {
      return json(413, { error: 'payload_too_large', message: error.message });
    }
    if (error instanceof UnauthorizedError) {
      const realm = this.config.webAuthDomain.replace(/["\\]/g, '');
      return {
        status: 401,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': `Basic realm="${realm}"` },
        body: 'Unauthorized',
      };
    }
    if (error instanceof MethodNotAllowedError) {
      const answer = json(405, { error: 'method_not_allowed', message: error.message });
      answer.headers.Allow = ALLOWED_METHODS;
      return answer;
    }
    if (error instanceof BrokerUnavailableError) {
      return this.unavailable('broker_unavailable', 'The message broker did not accept the message; retry later');
    }
    if (error instanceof TooManyPendingRequestsError) {
      return this.unavailable('overloaded', 'Too many requests are waiting for replies; retry later');
    }
    if (error instanceof ServiceDrainingError) {
      return this.unavailable('shutting_down', 'The service is shutting down; retry on another instance');
    }
    if (error instanceof IdempotencyKeyMismatchError) return json(422, { error: 'idempotency_key_reused', message: error.message });
    if (error instanceof IdempotencyKeyInFlightError) {
      const answer = json(409, { error: 'idempotency_key_in_flight', message: error.message });
      answer.headers['Retry-After'] = '1';
      return answer;
    }
    if (error instanceof IdempotencyStoreUnavailableError) {
      return this.unavailable('idempotency_store_unavailable', 'Idempotency-Key could not be checked; retry later');
    }
    if (error instanceof RateLimitedError) {
      const answer = json(429, { error: 'rate_limited', message: error.message });
      Object.assign(answer.headers, rateLimitHeaders(error.decision), { 'Retry-After': String(error.decision.retryAfter) });
      return answer;
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

  send(res: Response, error: unknown): void {
    const answer = this.answerFor(error, res);
    if (res.headersSent || res.writableEnded) return; // the caller is gone or already answered
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  private unavailable(code: string, message: string): ErrorAnswer {
    const answer = json(503, { error: code, message });
    answer.headers['Retry-After'] = String(this.config.retryAfter);
    return answer;
  }
}

/** The bodies are the documented shapes (api-answers.dto.ts), checked here by type. */
function json(status: number, body: ApiErrorDto | FieldErrorsDto): ErrorAnswer {
  return { status, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(body) };
}
