/** Injection token of the shared ioredis client, or null when Redis is not configured. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Injection token of the RedisBreaker every user of REDIS_CLIENT goes through, or null without Redis. */
export const REDIS_BREAKER = Symbol('REDIS_BREAKER');
