import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { KNOWN_FOR_SECONDS, MemoryKnownAddresses, RedisKnownAddresses } from './known-addresses';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('MemoryKnownAddresses', () => {
  it('knows a name at an address after a success there, until it expires', async () => {
    const clock = { now: 0 };
    const known = new MemoryKnownAddresses(() => clock.now);
    expect(await known.isKnown('n', '203.0.113.5')).toBe(false);
    await known.remember('n', '203.0.113.5');
    expect(await known.isKnown('n', '203.0.113.5')).toBe(true);
    expect(await known.isKnown('n', '203.0.113.6')).toBe(false);
    expect(await known.isKnown('m', '203.0.113.5')).toBe(false);
    clock.now += KNOWN_FOR_SECONDS * 1000;
    expect(await known.isKnown('n', '203.0.113.5')).toBe(false);
  });
});

/** Against the real Redis (CI and development machines run one on 127.0.0.1:6379). */
describe('RedisKnownAddresses', () => {
  const prefix = `test:known:${randomBytes(4).toString('hex')}:`;
  let client: Redis;
  /** A breaker whose probe never succeeds: once open, it stays open for the test. */
  const breaker = () => new RedisBreaker({ probe: () => Promise.reject(new Error('still down')), probeIntervalMs: 60_000 });
  const breakers: RedisBreaker[] = [];
  const known = (redis: Redis) => new RedisKnownAddresses(redis, prefix, breakers[breakers.push(breaker()) - 1]);

  beforeAll(() => (client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })));
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
    for (const each of breakers) each.stop();
  });

  it('shares what one instance learnt with another (a new pod), with a TTL', async () => {
    await known(client).remember('n', '203.0.113.5');
    expect(await known(client).isKnown('n', '203.0.113.5')).toBe(true);
    expect(await known(client).isKnown('n', '203.0.113.6')).toBe(false);
    const ttl = await client.ttl(`${prefix}known:n:203.0.113.5`);
    expect(ttl).toBeGreaterThan(KNOWN_FOR_SECONDS - 10);
  });

  it("falls back to this instance's memory while Redis is away", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const broken = { exists: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) } as unknown as Redis;
    const addresses = known(broken);
    expect(await addresses.isKnown('n', '203.0.113.5')).toBe(false);
    await addresses.remember('n', '203.0.113.5');
    expect(await addresses.isKnown('n', '203.0.113.5')).toBe(true);
    // One line of its own (throttled), beside the breaker's.
    expect(warn.mock.calls.filter(([line]) => String(line).includes('known addresses'))).toHaveLength(1);
    warn.mockRestore();
  });

  it('asks a frozen Redis once: the breaker opens on its time-out and later checks do not wait', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let asked = 0;
    const timedOut = () => {
      asked++;
      return new Promise((_, reject) => setTimeout(() => reject(new Error('Command timed out')), 200));
    };
    const frozen = { exists: timedOut, set: timedOut } as unknown as Redis;
    const addresses = known(frozen);
    expect(await addresses.isKnown('n', '203.0.113.5')).toBe(false);
    expect(await addresses.isKnown('n', '203.0.113.6')).toBe(false);
    await addresses.remember('n', '203.0.113.6');
    expect(asked).toBe(1); // refused by the open breaker, without waiting for Redis
    expect(await addresses.isKnown('n', '203.0.113.6')).toBe(true);
    warn.mockRestore();
  });
});
