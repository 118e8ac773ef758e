import Redis from 'ioredis';

/** The Redis of the test run (CI and the development machines run one on 127.0.0.1:6379). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The key prefix the service uses for a transport (REDIS_KEY_PREFIX default + transport name). */
export function transportKeyPattern(transportName: string, prefix = 'vumi_http_api:'): string {
  return `${prefix}${transportName}:*`;
}

/** Deletes every key matching `pattern` (a test's own, by its unique transport name) and returns how many. */
export async function deleteRedisKeys(pattern: string): Promise<number> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** Keys matching `pattern` right now. */
export async function countRedisKeys(pattern: string): Promise<number> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } finally {
    client.disconnect();
  }
}
