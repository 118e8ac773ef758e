/** Injection token of the RateLimiter holding failed-authentication buckets (its own, apart from RATE_LIMITER's). */
export const AUTH_FAILURE_LIMITER = Symbol('AUTH_FAILURE_LIMITER');

/** Injection token of the KnownAddresses (memory, or Redis with REDIS_URL). */
export const KNOWN_ADDRESSES = Symbol('KNOWN_ADDRESSES');
