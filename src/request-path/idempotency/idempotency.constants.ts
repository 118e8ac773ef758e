/** Injection token of the IdempotencyStore chosen by REDIS_URL. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
