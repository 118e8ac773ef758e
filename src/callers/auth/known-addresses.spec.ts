import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
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

  beforeAll(() => (client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })));
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('shares what one instance learnt with another (a new pod), with a TTL', async () => {
    await new RedisKnownAddresses(client, prefix).remember('n', '203.0.113.5');
    expect(await new RedisKnownAddresses(client, prefix).isKnown('n', '203.0.113.5')).toBe(true);
    expect(await new RedisKnownAddresses(client, prefix).isKnown('n', '203.0.113.6')).toBe(false);
    const ttl = await client.ttl(`${prefix}known:n:203.0.113.5`);
    expect(ttl).toBeGreaterThan(KNOWN_FOR_SECONDS - 10);
  });

  it("falls back to this instance's memory while Redis is away", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const broken = { exists: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) } as unknown as Redis;
    const known = new RedisKnownAddresses(broken, prefix);
    expect(await known.isKnown('n', '203.0.113.5')).toBe(false);
    await known.remember('n', '203.0.113.5');
    expect(await known.isKnown('n', '203.0.113.5')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
