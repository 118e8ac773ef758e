import Redis from 'ioredis';
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

interface RateLimitCommands {
  rateLimitTake(key: string, rate: number, burst: number): Promise<[number, string]>;
}

/** Buckets in Redis, shared by every instance of a transport: `<prefix><transport>:rl:<key>`. */
export class RedisRateLimiter implements RateLimiter {
  private readonly commands: RateLimitCommands;

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
  ) {
    client.defineCommand('rateLimitTake', { numberOfKeys: 1, lua: TAKE });
    this.commands = client as unknown as RateLimitCommands;
  }

  async take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    const [allowed, tokens] = await this.commands.rateLimitTake(this.keyPrefix + key, policy.rate, policy.burst);
    return decide(policy, Number(tokens), allowed === 1);
  }
}
