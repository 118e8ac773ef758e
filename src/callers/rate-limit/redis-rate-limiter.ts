import type Redis from 'ioredis';
import { RateLimiter } from './rate-limiter';
import { decide, RateLimitDecision, RateLimitPolicy } from './token-bucket';

/**
 * TokenBucket's arithmetic, atomically in Redis. Redis's own clock (TIME)
 * is used so that instances with skewed clocks share one bucket fairly. The
 * key expires once the bucket would be full again: a missing key is a full
 * bucket. Returns {allowed, tokens as text} (Lua numbers become integers).
 */
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {allowed, tostring(tokens)}`;

/** One token back, capped at the burst; a missing key is a full bucket already. */
const REFUND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local burst = tonumber(ARGV[1])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens')) or burst
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(burst, tokens + 1)))
return 1`;

interface RateLimitCommands {
  rateLimitTake(key: string, rate: number, burst: number): Promise<[number, string]>;
  rateLimitRefund(key: string, burst: number): Promise<number>;
}

/** Buckets in Redis, shared by every instance of a transport: `<prefix><transport>:rl:<key>`. */
export class RedisRateLimiter implements RateLimiter {
  private readonly commands: RateLimitCommands;

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
  ) {
    client.defineCommand('rateLimitTake', { numberOfKeys: 1, lua: TAKE });
    client.defineCommand('rateLimitRefund', { numberOfKeys: 1, lua: REFUND });
    this.commands = client as unknown as RateLimitCommands;
  }

  async take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    const [allowed, tokens] = await this.commands.rateLimitTake(this.keyPrefix + key, policy.rate, policy.burst);
    return decide(policy, Number(tokens), allowed === 1);
  }

  async refund(key: string, policy: RateLimitPolicy): Promise<void> {
    await this.commands.rateLimitRefund(this.keyPrefix + key, policy.burst);
  }
}
