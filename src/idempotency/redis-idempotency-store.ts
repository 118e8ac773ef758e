import Redis from 'ioredis';
import { IdempotencyRecord, IdempotencyStore } from './idempotency-store';

/** Returns the record already there, or claims the key (SET PX) and returns nil. */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** Stores the answer unless another claim's token holds the key now. */
const COMPLETE = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

/** Deletes the key only while our own claim holds it. */
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

interface IdempotencyCommands {
  idempotencyClaim(key: string, record: string, leaseMs: number): Promise<string | null>;
  idempotencyComplete(key: string, record: string, token: string, windowMs: number): Promise<number>;
  idempotencyRelease(key: string, token: string): Promise<number>;
}

/**
 * Keys in Redis, shared by every instance of a transport: each operation is
 * one Lua script, so a claim is atomic across instances, and Redis expires
 * what the window no longer covers. Keys are `<prefix><transport>:idem:<hash>`.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly commands: IdempotencyCommands;

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
  ) {
    // defineCommand runs EVALSHA, falling back to EVAL once per connection.
    client.defineCommand('idempotencyClaim', { numberOfKeys: 1, lua: CLAIM });
    client.defineCommand('idempotencyComplete', { numberOfKeys: 1, lua: COMPLETE });
    client.defineCommand('idempotencyRelease', { numberOfKeys: 1, lua: RELEASE });
    this.commands = client as unknown as IdempotencyCommands;
  }

  async claim(key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    const record: IdempotencyRecord = { fingerprint, token };
    const existing = await this.commands.idempotencyClaim(this.keyPrefix + key, JSON.stringify(record), leaseMs);
    return existing === null ? null : (JSON.parse(existing) as IdempotencyRecord);
  }

  async complete(key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    await this.commands.idempotencyComplete(this.keyPrefix + key, JSON.stringify(record), record.token, windowMs);
  }

  async release(key: string, token: string): Promise<void> {
    await this.commands.idempotencyRelease(this.keyPrefix + key, token);
  }
}
