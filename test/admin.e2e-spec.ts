import { hashSync } from '@node-rs/bcrypt';
import { connect } from 'amqplib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReply } from '../src/wire/vumi-application';
import { CapturingLogger } from './support/capturing-logger';
import { call } from './support/http-call';
import { sendHeld, waitUntil } from './support/held-requests';
import { MetricsReader } from './support/metrics-scrape';
import { ServiceProcess } from './support/service-process';
import { AMQP_URL, startTestService, TestService } from './support/test-service';

const TOKEN = 'admin-token-0123456789';
const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };
const P = 'vumi_http_api_';

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

function callersYaml(...names: string[]): string {
  return names.map((name) => `- username: ${name}\n  password_hash: '${hashSync(`${name} pw`, 4)}'\n`).join('');
}

/** The runtime controls on MANAGEMENT_PORT (ADMIN_TOKEN), the callers' reload, pause and resume, on a real port and broker. */
describe('runtime controls', () => {
  let service: TestService | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function management(s: TestService): string {
    if (!s.management) throw new Error('no management listener');
    return s.management.url;
  }

  function admin(s: TestService, path: string, init: RequestInit = {}, token = TOKEN) {
    return call(`${management(s)}${path}`, {
      method: 'POST',
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as object) },
    });
  }

  it('are off without ADMIN_TOKEN, and never on the API port', async () => {
    service = await startTestService({ MANAGEMENT_PORT: '0' });
    expect((await admin(service, '/admin/pause')).status).toBe(404);
    await service.stop();
    service = await startTestService({ MANAGEMENT_PORT: '0', ADMIN_TOKEN: TOKEN });
    expect((await call(`${service.url}/admin/pause`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await call(service.api(COMPLETE))).status).toBe(200); // not paused by the call above
  });

  it('want the token: 401 without it or with a wrong one, 429 once the address has failed too often; the right token still works', async () => {
    const logger = new CapturingLogger();
    service = await startTestService(
      { MANAGEMENT_PORT: '0', ADMIN_TOKEN: TOKEN, AUTH_FAILURE_RATE: '0.001', AUTH_FAILURE_BURST: '2', LOG_LEVEL: 'info' },
      logger,
    );
    const missing = await call(`${management(service)}/admin/pause`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await admin(service, '/admin/pause', {}, 'wrong-token-0123456789')).status).toBe(401);
    const throttled = await admin(service, '/admin/pause', {}, 'wrong-token-0123456789');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(service.api(COMPLETE))).status).toBe(200); // none of them paused anything
    expect((await admin(service, '/admin/pause')).status).toBe(200);
    expect((await admin(service, '/admin/pause', { method: 'GET' })).status).toBe(405);
    expect((await admin(service, '/admin/nothing')).status).toBe(404);
    await logger.waitFor(/Admin request refused \(missing\)/);
    await logger.waitFor(/Intake paused/);
    expect(logger.lines.some((line) => line.message.includes(TOKEN) || JSON.stringify(line.fields).includes(TOKEN))).toBe(false);
  });

  it('PUT /admin/log-level sets any pino level and refuses anything else', async () => {
    const logger = new CapturingLogger();
    service = await startTestService({ MANAGEMENT_PORT: '0', ADMIN_TOKEN: TOKEN }, logger);
    const json = { 'content-type': 'application/json' };
    const set = await admin(service, '/admin/log-level', { method: 'PUT', headers: json, body: '{"level":"debug"}' });
    expect(set.status).toBe(200);
    expect(JSON.parse(set.body)).toMatchObject({ level: 'debug' });
    const back = await admin(service, '/admin/log-level', { method: 'PUT', headers: json, body: '{"level":"error"}' });
    expect(JSON.parse(back.body)).toEqual({ level: 'error', previous: 'debug' });
    expect((await admin(service, '/admin/log-level', { method: 'PUT', headers: json, body: '{"level":"loud"}' })).status).toBe(400);
    expect((await admin(service, '/admin/log-level', { method: 'PUT', body: 'nonsense' })).status).toBe(400);
  });

  it('pause refuses new requests (503 paused + Retry-After) and fails readiness; held requests are still answered; resume undoes it', async () => {
    service = await startTestService({ MANAGEMENT_PORT: '0', ADMIN_TOKEN: TOKEN, REPLY_EXPECTED: 'true' });
    const held = await sendHeld(service, { to_addr: '555' });
    expect((await admin(service, '/admin/pause')).status).toBe(200);

    const refused = await call(service.api(COMPLETE));
    expect(refused.status).toBe(503);
    expect((JSON.parse(refused.body) as { error: string }).error).toBe('paused');
    expect(refused.headers.get('retry-after')).toBe(String(service.config.retryAfter));
    const ready = await call(`${service.url}${service.config.readinessPath}`);
    expect(ready.status).toBe(503);
    expect((JSON.parse(ready.body) as { error: { lifecycle: { state: string } } }).error.lifecycle.state).toBe('paused');

    // Replies are still consumed while paused: the held request gets its answer.
    await service.peer.publishOutbound(buildReply(held.inbound, 'still answered'));
    const answer = await held.response;
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('still answered');

    expect(JSON.parse((await admin(service, '/admin/resume')).body)).toEqual({ state: 'serving', changed: true });
    expect((await call(`${service.url}${service.config.readinessPath}`)).status).toBe(200);
    const again = await sendHeld(service, { to_addr: '556' });
    await service.peer.publishOutbound(buildReply(again.inbound, 'back'));
    expect((await again.response).status).toBe(200);
  });

  it('reads CALLERS_FILE again when it changes (a Secret swapped), keeps the callers when the new list is bad, and counts both', async () => {
    dir = mkdtempSync(join(tmpdir(), 'callers-'));
    const file = join(dir, 'callers.yaml');
    writeFileSync(file, callersYaml('alice'));
    const logger = new CapturingLogger();
    service = await startTestService({ MANAGEMENT_PORT: '0', ADMIN_TOKEN: TOKEN, CALLERS_FILE: file, LOG_LEVEL: 'info' }, logger);
    const s = service;
    const metrics = new MetricsReader(`${management(s)}/metrics`);
    const as = (name: string) => call(s.api(COMPLETE), { headers: basic(name, `${name} pw`) });
    expect((await as('alice')).status).toBe(200);
    expect((await as('bob')).status).toBe(401);

    writeFileSync(file, callersYaml('bob'));
    await waitUntil('bob let in after the file changed', async () => (await as('bob')).status === 200, 10_000);
    expect((await as('alice')).status).toBe(401); // removed: no cached verification lets it in
    expect(await metrics.value(`${P}callers_reloads_total`, { outcome: 'success' })).toBe(1);
    await logger.waitFor(/Callers reloaded \(CALLERS_FILE changed\): 1 callers, added "bob", removed "alice"/);

    const carolHash = hashSync('carol pw', 4);
    writeFileSync(file, `- username: carol\n  password_hash: '${carolHash}'\n  rate_limit: { rate: -1 }\n`);
    expect(await metrics.waitFor(`${P}callers_reloads_total`, { outcome: 'failure' }, 1, 10_000)).toBe(1);
    const failure = await logger.waitFor(/Callers reload \(CALLERS_FILE changed\) failed, the 1 callers in use are kept/);
    expect(failure.message).toContain('(carol): rate_limit.rate must be');
    expect(failure.message).not.toContain(carolHash);
    expect((await as('bob')).status).toBe(200);

    // The same through the control: 422 with the reasons, the callers kept.
    const reload = await admin(s, '/admin/reload');
    expect(reload.status).toBe(422);
    expect(JSON.parse(reload.body)).toMatchObject({ outcome: 'failure', callers: 1 });
    writeFileSync(file, callersYaml('bob', 'carol'));
    const ok = await admin(s, '/admin/reload');
    expect(JSON.parse(ok.body)).toEqual({ outcome: 'success', callers: 2 });
    expect((await as('carol')).status).toBe(200);
  });

  it('puts the caller on the request counter, the duration histogram and the held requests; anonymous for refused ones', async () => {
    service = await startTestService({
      MANAGEMENT_PORT: '0',
      REPLY_EXPECTED: 'true',
      CALLERS: JSON.stringify([{ username: 'shop', password_hash: hashSync('shop pw', 4) }]),
    });
    const s = service;
    const metrics = new MetricsReader(`${management(s)}/metrics`);
    expect(await metrics.value(`${P}held_requests`, { caller: 'shop' })).toBe(0); // every caller shows from the start
    const response = fetch(s.api(COMPLETE), { headers: basic('shop', 'shop pw') });
    const inbound = await s.peer.nextInbound();
    expect(await metrics.value(`${P}held_requests`, { caller: 'shop' })).toBe(1);
    expect(await metrics.value(`${P}held_requests`, { caller: 'anonymous' })).toBe(0);
    await s.peer.publishOutbound(buildReply(inbound, 'ok'));
    expect((await response).status).toBe(200);
    expect((await call(s.api(COMPLETE), { headers: basic('mallory', 'x') })).status).toBe(401);

    expect(await metrics.waitFor(`${P}http_requests_total`, { caller: 'shop', status: '200' }, 1)).toBe(1);
    expect(await metrics.waitFor(`${P}http_requests_total`, { caller: 'anonymous', status: '401' }, 1)).toBe(1);
    expect(await metrics.value(`${P}http_request_duration_seconds_count`, { caller: 'shop', mode: 'reply' })).toBe(1);
    expect(await metrics.text()).not.toContain('mallory');
  });
});

/** Is anyone listening on `<tn>.inbound`: the gauges, the health details, the reply-mode warning. */
describe('inbound queue consumers', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('reads the consumers and waiting messages with a passive declare, shows them in health, and warns when a request is held with no consumer', async () => {
    const logger = new CapturingLogger();
    service = await startTestService({ REPLY_EXPECTED: 'true', INBOUND_QUEUE_CHECK_INTERVAL: '1' }, logger);
    const s = service;
    const metrics = new MetricsReader(`${s.url}/metrics`);
    const queue = s.peer.keys.inbound;
    const detail = async () =>
      ((await (await fetch(`${s.url}/health`)).json()) as { details: { inbound_queue: Record<string, unknown> } }).details.inbound_queue;

    await waitUntil('a first reading', async () => (await detail()).consumers === 0);
    expect(await detail()).toMatchObject({ status: 'up', queue, exists: true, consumers: 0, messages: 0, listening: false });
    expect(await metrics.value(`${P}inbound_queue_consumers`, { queue })).toBe(0);

    // Held with nobody reading: the request waits, and the log says why.
    const controller = new AbortController();
    const held = fetch(s.api(COMPLETE), { signal: controller.signal }).catch(() => undefined);
    const warning = await logger.waitFor(/while nothing consumes/);
    expect(warning.level).toBe('warn');
    expect(await metrics.waitFor(`${P}inbound_queue_messages`, { queue }, 1)).toBe(1);
    controller.abort();
    await held;

    await s.peer.read(queue); // an application starts
    expect(await metrics.waitFor(`${P}inbound_queue_consumers`, { queue }, 1)).toBe(1);
    expect(await detail()).toMatchObject({ consumers: 1, listening: true });
    expect((await call(`${s.url}${s.config.readinessPath}`)).status).toBe(200); // informational: never fails readiness
  });

  it('a queue nobody declared is a 404 on its own channel: publishing goes on', async () => {
    service = await startTestService({ INBOUND_QUEUE_CHECK_INTERVAL: '1' });
    const s = service;
    await s.peer.read(s.peer.keys.inbound);
    const detail = async () =>
      ((await (await fetch(`${s.url}/health`)).json()) as { details: { inbound_queue: Record<string, unknown> } }).details.inbound_queue;
    await waitUntil('the consumer seen', async () => (await detail()).consumers === 1);
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteQueue(s.peer.keys.inbound); // the next passive declare gets 404
    await connection.close();
    await waitUntil('the queue seen gone', async () => (await detail()).exists === false);
    expect((await detail()).consumers).toBe(0);
    expect((await call(s.api(COMPLETE))).status).toBe(200); // the publisher (declares the queue again) is unharmed
  });
});

/** The callers read again on SIGHUP, in a real process. */
describe('SIGHUP', () => {
  let child: ServiceProcess | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await child?.kill();
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the callers again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'callers-'));
    const file = join(dir, 'callers.yaml');
    writeFileSync(file, callersYaml('alice'));
    child = await ServiceProcess.start({ CALLERS_FILE: file, LOG_LEVEL: 'info' });
    child.signal('SIGHUP');
    await child.waitForOutput('Callers reloaded (SIGHUP): 1 callers');
    expect(child.hasExited).toBe(false);
    expect((await call(child.api(COMPLETE), { headers: basic('alice', 'alice pw') })).status).toBe(200);
  });
});
