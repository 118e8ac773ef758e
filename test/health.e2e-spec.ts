import { LifecycleService } from '../src/platform/lifecycle/lifecycle.service';
import { JsonObject } from '../src/wire/vumi-message';
import { health, sendHeld, waitUntil } from './support/held-requests';
import { startTestService, TestService } from './support/test-service';

interface ResponseDetails {
  status: 'up' | 'down';
  state: string;
  type: string | null;
  counts: { ok: number; degraded: number; down: number; timeout: number };
  window_seconds: number;
}

const responseOf = (body: JsonObject) => (body.details as Record<string, ResponseDetails>).response;

async function readiness(service: TestService): Promise<number> {
  return (await fetch(`${service.url}${service.config.readinessPath}`)).status;
}

/**
 * The health path (issue 11, point 2), on a real broker and a real port. Vumi's
 * health path always answers 200 {"pending_requests": N}: HAProxy routes by it,
 * so a slow application must not take an instance out of rotation.
 */
describe('health path', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<TestService> {
    service = await startTestService({ REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '1', REQUEST_CLEANUP_INTERVAL: '1', ...env });
    return service;
  }

  async function timeOut(s: TestService): Promise<void> {
    const call = await sendHeld(s, { to_addr: '555-timeout' });
    expect((await call.response).status).toBe(504);
  }

  it("Vumi's health: 200 with pending_requests at once after a time-out and silence, the state in the body", async () => {
    const s = await start();
    await timeOut(s);
    const answer = await health(s);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ pending_requests: 0, status: 'ok' });
    expect(responseOf(answer.body)).toMatchObject({
      status: 'up',
      state: 'down',
      type: 'timeout',
      degraded_after: 1,
      down_after: 10,
      window_seconds: 60,
      counts: { ok: 0, degraded: 0, down: 0, timeout: 1 },
      fails_health: false,
    });
    expect(await readiness(s)).toBe(200);
  });

  it('HEALTH_FAIL_ON_RESPONSE_DOWN: 503 after a time-out, then 200 again after the window with no traffic at all', async () => {
    const s = await start({ HEALTH_FAIL_ON_RESPONSE_DOWN: 'true', RESPONSE_STATUS_WINDOW: '2', PUBLISH_STATUS: 'true' });
    await timeOut(s);
    const down = await health(s);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ pending_requests: 0, status: 'error' });
    expect(responseOf(down.body)).toMatchObject({ status: 'down', state: 'down', counts: { timeout: 1 } });
    expect(await readiness(s)).toBe(503); // the same verdict on both paths
    expect(await s.peer.nextStatus()).toMatchObject({ status: 'down', type: 'timeout' });

    // No request is sent from here on: the window alone brings it back (a generous bound, not a timing).
    await waitUntil('back to 200 by itself', async () => (await health(s)).status === 200, 15_000);
    const back = await health(s);
    expect(responseOf(back.body)).toMatchObject({
      status: 'up',
      state: 'ok',
      type: 'timeout', // the latest answer is still shown; the window no longer holds it
      counts: { ok: 0, degraded: 0, down: 0, timeout: 0 },
    });
    expect(await readiness(s)).toBe(200);
    // Status messages keep Vumi's edges: they follow answers, so no "ok" came out of the silence.
    expect(await s.peer.depth(s.peer.keys.status)).toBe(0);
    expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
  });

  it('degraded answers stay 200 even with HEALTH_FAIL_ON_RESPONSE_DOWN', async () => {
    const s = await start({ HEALTH_FAIL_ON_RESPONSE_DOWN: 'true', RESPONSE_TIME_DEGRADED: '0.2' });
    const call = await sendHeld(s, { to_addr: '555-slow' });
    await new Promise((resolve) => setTimeout(resolve, 400)); // the application is slow on purpose
    await s.peer.reply(call.inbound, 'slow');
    expect((await call.response).status).toBe(200);
    const answer = await health(s);
    expect(answer.status).toBe(200);
    expect(responseOf(answer.body)).toMatchObject({ status: 'up', state: 'degraded', counts: { ok: 0, degraded: 1 } });
  });

  it('draining for shutdown: 503 on the health path and readiness alike, pending_requests still there', async () => {
    const s = await start();
    expect((await health(s)).status).toBe(200);
    s.app.get(LifecycleService).startDraining();
    const answer = await health(s);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ pending_requests: 0, details: { lifecycle: { status: 'down', state: 'draining' } } });
    expect(await readiness(s)).toBe(503);
    const live = await fetch(`${s.url}${s.config.livenessPath}`);
    expect(live.status).toBe(200); // liveness checks the process only
  });
});
