import { ApiRefusal } from '../../common/api-refusal';

/** Refusals of the Idempotency-Key rules, each with its status and code; ApiResponder answers each. */

/** The Idempotency-Key header is not one sf-string of printable ASCII (400). */
export class InvalidIdempotencyKeyError extends ApiRefusal {
  readonly status = 400;
  readonly code = 'invalid_idempotency_key';

  constructor(why: string) {
    super(`The Idempotency-Key header ${why}`);
    this.name = 'InvalidIdempotencyKeyError';
  }
}

/** The key was used for a request with other fields (or by the same caller for other content): 422. */
export class IdempotencyKeyMismatchError extends ApiRefusal {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';

  constructor() {
    super('This Idempotency-Key was used for a request with different fields; use a new key');
    this.name = 'IdempotencyKeyMismatchError';
  }
}

/** The first request with this key has not been answered yet: 409, retry later. */
export class IdempotencyKeyInFlightError extends ApiRefusal {
  readonly status = 409;
  readonly code = 'idempotency_key_in_flight';
  override readonly answerHeaders = { 'Retry-After': '1' };

  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry later');
    this.name = 'IdempotencyKeyInFlightError';
  }
}

/** The shared store (Redis) did not answer: 503, since without it a retry could publish twice. */
export class IdempotencyStoreUnavailableError extends ApiRefusal {
  readonly status = 503;
  readonly code = 'idempotency_store_unavailable';
  override readonly answerMessage = 'Idempotency-Key could not be checked; retry later';

  constructor(override readonly cause: unknown) {
    super(`The idempotency store is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'IdempotencyStoreUnavailableError';
  }
}

/**
 * The first request's answer was larger than IDEMPOTENCY_MAX_ENTRY_BYTES, so it was not kept: a repeat
 * cannot get it again, and is not published again either (422, not retriable with this key).
 */
export class IdempotencyAnswerNotKeptError extends ApiRefusal {
  readonly status = 422;
  readonly code = 'idempotency_answer_not_kept';

  constructor(
    readonly messageId: string,
    answerBytes: number,
    limit: number,
  ) {
    super(
      `The request with this Idempotency-Key was published as message ${messageId}, but its answer ` +
        `(${answerBytes} bytes) was larger than the ${limit} bytes kept per key, so it cannot be replayed; ` +
        'it is not published again. Use a new key to send a new message.',
    );
    this.name = 'IdempotencyAnswerNotKeptError';
  }
}
