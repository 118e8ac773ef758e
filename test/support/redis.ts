import Redis from 'ioredis';
import { startTestService, TestService } from './test-service';

/** The Redis of the test run (CI and the development machines run one on 127.0.0.1:6379). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The key prefix the service uses for a transport (REDIS_KEY_PREFIX default + transport name). */
export function transportKeyPattern(transportName: string, prefix = 'vumi_http_api:'): string {
  return `${prefix}${transportName}:*`;
}

/** Walks the keys matching `pattern` in batches (SCAN), handing each batch to `visit`. */
async function scanKeys(pattern: string, visit: (client: Redis, keys: string[]) => Promise<void>): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await visit(client, keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Deletes every key matching `pattern` (a test's own, by its unique transport name) and returns how many. */
export async function deleteRedisKeys(pattern: string): Promise<number> {
  let deleted = 0;
  await scanKeys(pattern, async (client, keys) => {
    deleted += await client.del(...keys);
  });
  return deleted;
}

/**
 * Services a suite starts, each stopped after every test with its Redis keys
 * deleted: `const services = servicesCleaningRedis(); ... await services.start(env)`.
 */
export function servicesCleaningRedis(): { start(env?: Record<string, string>): Promise<TestService> } {
  const started: TestService[] = [];
  afterEach(async () => {
    for (const service of started.splice(0)) {
      await service.stop();
      await deleteRedisKeys(transportKeyPattern(service.config.transportName));
    }
  });
  return {
    async start(env: Record<string, string> = {}) {
      const service = await startTestService(env);
      started.push(service);
      return service;
    },
  };
}
