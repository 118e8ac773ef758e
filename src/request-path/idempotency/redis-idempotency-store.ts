import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { IdempotencyLimits } from './idempotency-limits';
import { entryBytes, IdempotencyRecord, IdempotencyStore } from './idempotency-store';

/**
 * Bookkeeping shared by the scripts. Each client (scope) has a sorted set of
 * its entries' keys by write time (KEYS[2]) and a hash of their sizes
 * (KEYS[3], field "_total" = the sum). `account` counts an entry in and then
 * forgets the client's oldest entries while it is over its share, and first
 * drops from the books the oldest ones Redis has already expired. Both
 * bookkeeping keys expire with the client's last entry.
 * ARGV of every write: record, ttl ms, entry bytes, max bytes per client, now ms, bookkeeping ttl ms.
 */
const ACCOUNT = `
local function forget(member)
  local bytes = redis.call('HGET', KEYS[3], member)
  if not bytes then return end
  redis.call('HDEL', KEYS[3], member)
  redis.call('ZREM', KEYS[2], member)
  redis.call('HINCRBY', KEYS[3], '_total', '-' .. bytes)
end
local function account(member, bytes, max, now, bookTtl)
  forget(member)
  for _ = 1, 20 do
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    if not oldest or redis.call('EXISTS', oldest) == 1 then break end
    forget(oldest)
  end
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('HSET', KEYS[3], member, bytes)
  local total = redis.call('HINCRBY', KEYS[3], '_total', bytes)
  while total > max do
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    if not oldest or oldest == member then break end
    total = total - tonumber(redis.call('HGET', KEYS[3], oldest) or '0')
    forget(oldest)
    redis.call('DEL', oldest)
  end
  redis.call('PEXPIRE', KEYS[2], bookTtl)
  redis.call('PEXPIRE', KEYS[3], bookTtl)
end
`;

/** Returns the record already there, or claims the key (SET PX), counts it and returns nil. */
const CLAIM = `${ACCOUNT}
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
account(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
return false`;

/** Stores the answer unless another claim's token holds the key now (ARGV[7]: the token). */
const COMPLETE = `${ACCOUNT}
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token ~= ARGV[7] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
account(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6])
return 1`;

/** Deletes the key (and its bookkeeping) only while our own claim holds it. */
const RELEASE = `${ACCOUNT}
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then
  redis.call('DEL', KEYS[1])
  forget(KEYS[1])
end
return 0`;

type WriteArgs = [record: string, ttlMs: number, bytes: number, maxBytes: number, nowMs: number, bookTtlMs: number];

interface IdempotencyCommands {
  idempotencyClaim(key: string, scopeKeys: string, scopeSizes: string, ...args: WriteArgs): Promise<string | null>;
  idempotencyComplete(key: string, scopeKeys: string, scopeSizes: string, ...args: [...WriteArgs, string]): Promise<number>;
  idempotencyRelease(key: string, scopeKeys: string, scopeSizes: string, token: string): Promise<number>;
}

/**
 * Keys in Redis, shared by every instance of a transport: each operation is
 * one Lua script, so a claim is atomic across instances, and Redis expires
 * what the window no longer covers (PX). Keys are
 * `<prefix><transport>:idem:<hash>`; each client's books are
 * `<prefix><transport>:idem:scope:<hash of the scope>:keys|sizes`. Entries are
 * held to the same limits as in memory: none over the per-entry limit, and
 * each client within its own share (its oldest go first). The scripts touch
 * keys they find in the books, so this needs one Redis, not Redis Cluster.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly commands: IdempotencyCommands;

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
    private readonly limits: IdempotencyLimits,
    /** The longest an entry lives (the window, or a claim's lease if longer): the books outlive it. */
    private readonly longestTtlMs: number,
  ) {
    // defineCommand runs EVALSHA, falling back to EVAL once per connection.
    client.defineCommand('idempotencyClaim', { numberOfKeys: 3, lua: CLAIM });
    client.defineCommand('idempotencyComplete', { numberOfKeys: 3, lua: COMPLETE });
    client.defineCommand('idempotencyRelease', { numberOfKeys: 3, lua: RELEASE });
    this.commands = client as unknown as IdempotencyCommands;
  }

  async claim(scope: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    const record: IdempotencyRecord = { fingerprint, token };
    const args = this.writeArgs(key, record, leaseMs);
    const existing = await this.commands.idempotencyClaim(this.keyPrefix + key, ...this.books(scope), ...args);
    return existing === null ? null : (JSON.parse(existing) as IdempotencyRecord);
  }

  async complete(scope: string, key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    if (entryBytes(key, record) > this.limits.maxEntryBytes) return; // never kept (the service does not ask; a guard)
    const args = this.writeArgs(key, record, windowMs);
    await this.commands.idempotencyComplete(this.keyPrefix + key, ...this.books(scope), ...args, record.token);
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    await this.commands.idempotencyRelease(this.keyPrefix + key, ...this.books(scope), token);
  }

  private books(scope: string): [string, string] {
    const base = `${this.keyPrefix}scope:${createHash('sha256').update(scope).digest('base64url')}:`;
    return [`${base}keys`, `${base}sizes`];
  }

  private writeArgs(key: string, record: IdempotencyRecord, ttlMs: number): WriteArgs {
    const json = JSON.stringify(record);
    // Counted as stored: the JSON (UTF-8 in Redis) plus the same per-entry overhead as in memory.
    const bytes = Math.max(entryBytes(key, record), Buffer.byteLength(json) + key.length + this.keyPrefix.length);
    const bookTtl = Math.max(this.longestTtlMs, ttlMs) + 60_000;
    return [json, ttlMs, bytes, this.limits.maxBytesPerClient, Date.now(), bookTtl];
  }
}
