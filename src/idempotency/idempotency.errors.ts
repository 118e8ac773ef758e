/** Refusals of the Idempotency-Key rules; ErrorResponder maps each to its answer. */

/** The key was used for a request with other fields (or by the same caller for other content): 422. */
export class IdempotencyKeyMismatchError extends Error {
  constructor() {
    super('This Idempotency-Key was used for a request with different fields; use a new key');
    this.name = 'IdempotencyKeyMismatchError';
  }
}

/** The first request with this key has not been answered yet: 409, retry later. */
export class IdempotencyKeyInFlightError extends Error {
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry later');
    this.name = 'IdempotencyKeyInFlightError';
  }
}

/** The shared store (Redis) did not answer: 503, since without it a retry could publish twice. */
export class IdempotencyStoreUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`The idempotency store is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'IdempotencyStoreUnavailableError';
  }
}
