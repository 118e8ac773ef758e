import { JsonObject } from '../src/wire/vumi-message';
import { PrivateBroker } from './support/private-broker';
import { startTestService, TestService } from './support/test-service';
import { VumiPeer } from './support/vumi-peer';
import { anyString } from './support/matchers';

const PUBLISH_TIMEOUT = 2;
const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };

/**
 * The broker goes away under a running service and comes back: a private
 * RabbitMQ node of this suite's own (the shared broker is never stopped).
 */
describe('broker outage', () => {
  let broker: PrivateBroker | undefined;
  let service: TestService | undefined;
  let checker: VumiPeer | undefined;

  beforeAll(async () => {
    broker = await PrivateBroker.start();
    service = await startTestService({ AMQP_URL: broker.url, PUBLISH_TIMEOUT: String(PUBLISH_TIMEOUT) });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await checker?.destroy();
    await broker?.destroy();
  }, 120_000);

  /** GETs a path until its status is `status`, with a deadline; returns the last answer. */
  async function pollUntil(url: string, status: number, deadlineMs: number): Promise<Response> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const response = await fetch(url);
      if (response.status === status) return response;
      await response.arrayBuffer();
      if (Date.now() >= deadline) throw new Error(`${url} still answers ${response.status}, not ${status}, after ${deadlineMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('publishes while the broker is up', async () => {
    const response = await fetch(service!.api(COMPLETE));
    expect(response.status).toBe(200);
    const { message_id } = (await response.json()) as { message_id: string };
    expect(await service!.peer.nextInbound()).toMatchObject({ message_id, ...COMPLETE });
  });

  it('answers 503 with Retry-After and a JSON error, never hanging, while the broker is stopped', async () => {
    await broker!.stop();

    const started = Date.now();
    const response = await fetch(service!.api({ ...COMPLETE, content: 'during outage' }));
    const elapsed = Date.now() - started;

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe(String(service!.config.retryAfter));
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'broker_unavailable', message: anyString() });
    // A deadline on correctness ("never hangs"), not a speed benchmark.
    expect(elapsed).toBeLessThan(PUBLISH_TIMEOUT * 1000 + 1500);
  }, 60_000);

  it('health answers 503 with the broker down, keeping pending_requests', async () => {
    const response = await pollUntil(`${service!.url}/health`, 503, 30_000);
    const body = (await response.json()) as JsonObject;
    expect(body).toMatchObject({
      pending_requests: 0,
      status: 'error',
      error: { broker: { status: 'down', state: 'disconnected' } },
    });
  }, 60_000);

  it('readiness answers 503 and liveness 200 with the broker down', async () => {
    expect((await fetch(`${service!.url}/health/ready`)).status).toBe(503);
    expect((await fetch(`${service!.url}/health/live`)).status).toBe(200);
  });

  it('every publish keeps answering 503 in time while the broker is down', async () => {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const response = await fetch(service!.api(COMPLETE));
      expect(response.status).toBe(503);
      await response.arrayBuffer();
      expect(Date.now() - started).toBeLessThan(PUBLISH_TIMEOUT * 1000 + 1500);
    }
  }, 60_000);

  it('recovers by itself once the broker is back: 200 again and the message in .inbound', async () => {
    await broker!.restart();

    // Poll the API itself until it publishes again, with a deadline.
    const deadline = Date.now() + 30_000;
    let messageId: string | undefined;
    while (messageId === undefined) {
      const response = await fetch(service!.api({ ...COMPLETE, content: 'after outage' }));
      if (response.status === 200) {
        messageId = ((await response.json()) as { message_id: string }).message_id;
        break;
      }
      expect(response.status).toBe(503);
      await response.arrayBuffer();
      if (Date.now() >= deadline) throw new Error('the service did not publish again within 30 s of the broker restart');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    checker = await VumiPeer.connect(broker!.url, service!.config.transportName);
    // Confirmed before the 200, so queued now; nothing refused during the outage reached the queue.
    expect(await checker.depth(checker.keys.inbound)).toBe(1);
    const message = await checker.nextInbound(10_000);
    expect(message).toMatchObject({ message_id: messageId, ...COMPLETE, content: 'after outage' });

    const health = await pollUntil(`${service!.url}/health`, 200, 30_000);
    expect(await health.json()).toMatchObject({
      pending_requests: 0,
      info: { broker: { status: 'up', state: 'connected', reconnects: 1 } },
    });
    expect((await fetch(`${service!.url}/health/ready`)).status).toBe(200);
  }, 120_000);
});
