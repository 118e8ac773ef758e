import { Answer, call } from './support/http-call';
import { MetricsReader } from './support/metrics-scrape';
import { PrivateRedis } from './support/private-redis';
import { startTestService, TestService } from './support/test-service';

const FIELDS = { to_addr: '555', from_addr: '123', content: 'hello' };
/** Long enough that a request which waited on the frozen Redis stands out from every other one. */
const COMMAND_TIMEOUT_MS = 2000;
const WORKERS = 8;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** WORKERS loops of requests without a key until `stop()`: every answer, in order. */
function load(service: TestService) {
  const answers: Answer[] = [];
  let running = true;
  const workers = Array.from({ length: WORKERS }, async () => {
    while (running) answers.push(await call(service.api(FIELDS)));
  });
  return {
    answers,
    async stop(): Promise<Answer[]> {
      running = false;
      await Promise.all(workers);
      return answers;
    },
  };
}

async function redisDetails(service: TestService): Promise<Record<string, unknown>> {
  const health = await call(`${service.url}/health`);
  return (JSON.parse(health.body) as { details: Record<string, Record<string, unknown>> }).details.redis;
}

/**
 * Issue 22, point 3: a Redis that freezes (SIGSTOP: the connection stays
 * open, nothing answers) costs a request at most one command time-out, once,
 * then nothing: rate limits fall back to memory, keys get 503 at once, and
 * everything comes back after SIGCONT. A private redis-server, the shared
 * broker (AMQP_URL).
 */
describe('A frozen Redis', () => {
  let redis: PrivateRedis;
  let service: TestService;

  beforeAll(async () => {
    redis = await PrivateRedis.server();
    service = await startTestService({
      REDIS_URL: redis.url,
      // A limit every request takes a token from (in Redis), never reached.
      RATE_LIMIT_RATE: '100000',
      RATE_LIMIT_BURST: '100000',
      REDIS_COMMAND_TIMEOUT: String(COMMAND_TIMEOUT_MS / 1000),
      REDIS_PROBE_INTERVAL: '0.25',
    });
  });

  afterAll(async () => {
    redis?.thaw();
    await service?.stop();
    await redis?.stop();
  });

  it('costs requests without a key one time-out at most, answers keys 503 at once, shows it, and recovers after SIGCONT', async () => {
    const metrics = new MetricsReader(`${service.url}/metrics`);
    expect(await redisDetails(service)).toMatchObject({ state: 'up', fails_health: false });
    // Redis up: the limiter's keys are in Redis.
    const up = load(service);
    await sleep(500);
    const upAnswers = await up.stop();
    expect(upAnswers.every((answer) => answer.status === 200)).toBe(true);
    expect(await redis.command('DBSIZE')).toBeGreaterThan(0);

    redis.freeze();
    const frozen = load(service);
    await sleep(COMMAND_TIMEOUT_MS * 2);
    // Keys: 503 + Retry-After without asking the frozen Redis (asking would take the time-out).
    const keyed = await call(service.api(FIELDS), { headers: { 'Idempotency-Key': '"frozen-1"' } });
    const stillFrozen = await frozen.stop();

    const p99 = (answers: Answer[]) => answers.map((answer) => answer.ms).sort((x, y) => x - y)[Math.floor(answers.length * 0.99)];
    process.stdout.write(
      `frozen Redis: up ${upAnswers.length} answers in 0.5 s (p99 ${p99(upAnswers).toFixed(0)} ms); frozen ${stillFrozen.length} in ` +
        `${(COMMAND_TIMEOUT_MS * 2) / 1000} s, ${stillFrozen.filter((a) => a.ms >= COMMAND_TIMEOUT_MS * 0.9).length} waited for the time-out, ` +
        `p99 of the others ${p99(stillFrozen.filter((a) => a.ms < COMMAND_TIMEOUT_MS * 0.9)).toFixed(0)} ms; keyed 503 in ${keyed.ms.toFixed(0)} ms\n`,
    );
    expect(keyed.status).toBe(503);
    expect(keyed.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(keyed.body)).toMatchObject({ error: 'idempotency_store_unavailable' });
    expect(keyed.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
    // Every request answered 200 (rate limits in memory); only those in flight when Redis froze
    // waited for the time-out, once each: the others never asked Redis.
    expect(stillFrozen.filter((answer) => answer.status !== 200)).toEqual([]);
    const waited = stillFrozen.filter((answer) => answer.ms >= COMMAND_TIMEOUT_MS * 0.9).length;
    expect(waited).toBeLessThanOrEqual(WORKERS);
    expect(stillFrozen.length).toBeGreaterThan(WORKERS * 4);
    // Shown in the health details (never failing them), the metric; readiness stays 200.
    const details = await redisDetails(service);
    expect(['down', 'probing']).toContain(details.state);
    expect(details.fails_health).toBe(false);
    expect((await call(`${service.url}/health`)).status).toBe(200);
    expect((await call(`${service.url}/health/ready`)).status).toBe(200);
    expect(await metrics.value('vumi_http_api_redis_state', { state: 'up' })).toBe(0);
    expect(await metrics.value('vumi_http_api_redis_breaker_opens_total')).toBe(1);

    redis.thaw();
    expect(await metrics.waitFor('vumi_http_api_redis_state', { state: 'up' }, 1, 15_000)).toBe(1);
    expect(await redisDetails(service)).toMatchObject({ state: 'up' });
    const after = await call(service.api(FIELDS), { headers: { 'Idempotency-Key': '"thawed-1"' } });
    expect(after.status).toBe(200);
    const replay = await call(service.api(FIELDS), { headers: { 'Idempotency-Key': '"thawed-1"' } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });
});
