import { loadConfig } from '../src/config/config-loader';
import { RunningService, startService } from '../src/bootstrap';
import { buildReply } from '../src/wire/vumi-application';
import { sendHeld } from './support/held-requests';
import { MetricsReader } from './support/metrics-scrape';
import { StallProxy } from './support/stall-proxy';
import { AMQP_URL, startTestService, TestService, uniqueTransportName } from './support/test-service';
import { VumiPeer } from './support/vumi-peer';

const P = 'vumi_http_api_';

/** Metrics read from the endpoint of a running service, after real requests, replies, time-outs and nacks. */
describe('metrics', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string>): Promise<{ s: TestService; metrics: MetricsReader }> {
    service = await startTestService(env);
    return { s: service, metrics: new MetricsReader(`${service.url}/metrics`) };
  }

  it('fire-and-forget: counts every answer of the API path by method and status, and only those', async () => {
    const { s, metrics } = await start({ BODY_LIMIT: '64' });
    const api = s.api();
    const send = async (url: string, init: RequestInit = {}) => (await fetch(url, init)).status;
    expect(await send(s.api({ to_addr: '555', from_addr: '123', content: 'hi' }))).toBe(200);
    expect(await send(s.api({ to_addr: '555' }))).toBe(400); // the exception filter
    expect(await send(api, { method: 'HEAD' })).toBe(405);
    expect(await send(api, { method: 'DELETE' })).toBe(405);
    expect(await send(api, { method: 'POST', body: 'x'.repeat(100), headers: { 'content-type': 'text/plain' } })).toBe(413); // the body middleware
    expect(await send(api, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } })).toBe(415);
    expect(await send(`${s.url}/health`)).toBe(200);
    await s.peer.nextInbound();

    const requests = `${P}http_requests_total`;
    expect(await metrics.waitFor(requests, {}, 6)).toBe(6); // health and metrics are not the API path
    for (const [method, status] of [
      ['GET', '200'],
      ['GET', '400'],
      ['HEAD', '405'],
      ['DELETE', '405'],
      ['POST', '413'],
      ['POST', '415'],
    ]) {
      expect([method, status, await metrics.value(requests, { method, status })]).toEqual([method, status, 1]);
    }
    expect(await metrics.value(`${P}http_request_duration_seconds_count`, { mode: 'fire_and_forget' })).toBe(6);
    expect(await metrics.value(`${P}http_request_duration_seconds_count`, { mode: 'reply' })).toBe(0);
    expect(await metrics.value(`${P}publish_confirm_duration_seconds_count`, { outcome: 'confirmed' })).toBe(1);
    expect(await metrics.value(`${P}broker_connection_state`, { state: 'connected' })).toBe(1);
    expect(await metrics.value(`${P}broker_connection_state`)).toBe(1); // one state at a time
    expect(await metrics.value(`${P}info`, { mode: 'fire_and_forget', instance_id: s.config.instanceId })).toBe(1);
    expect(await metrics.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    const text = await metrics.text();
    expect(text).toContain(`transport_name="${s.config.transportName}"`);
  });

  it('counts the API path under every spelling Express serves it: a trailing slash, any case', async () => {
    const { s, metrics } = await start({});
    const query = new URLSearchParams({ to_addr: '555', from_addr: '123', content: 'hi' }).toString();
    for (const path of ['/http_api/', '/HTTP_API', '/http_api']) {
      const response = await fetch(`${s.url}${path}?${query}`);
      expect([path, response.status]).toEqual([path, 200]);
      expect(await response.json()).toEqual({ message_id: (await s.peer.nextInbound()).message_id });
    }
    expect(await metrics.waitFor(`${P}http_requests_total`, { method: 'GET', status: '200' }, 3)).toBe(3);
    expect(await metrics.value(`${P}http_request_duration_seconds_count`, { mode: 'fire_and_forget' })).toBe(3);
  });

  it('fire-and-forget: a reply is nacked and an undecodable message dropped, each counted by reason', async () => {
    const { s, metrics } = await start({});
    await s.peer.publishOutbound(buildReply({ message_id: 'a'.repeat(32), to_addr: '1', from_addr: '2' }, 'hi'));
    expect(await s.peer.nextEvent()).toMatchObject({ event_type: 'nack' });
    expect(await metrics.waitFor(`${P}events_published_total`, { event_type: 'nack', reason: 'replies_not_expected' }, 1)).toBe(1);
    expect(await metrics.value(`${P}outbound_messages_total`, { result: 'nacked' })).toBe(1);

    await s.peer.publishOutbound('not json at all');
    expect(await metrics.waitFor(`${P}outbound_malformed_total`, { reason: 'not_json' }, 1)).toBe(1);
    expect(await metrics.value(`${P}outbound_messages_total`, { result: 'malformed' })).toBe(1);
    expect(await metrics.value(`${P}outbound_messages_total`)).toBe(2);
  });

  it('reply mode: held requests, a reply, a time-out, a nack and a caller who hung up', async () => {
    const { s, metrics } = await start({ REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '1', REQUEST_CLEANUP_INTERVAL: '1' });
    const finished = `${P}held_requests_finished_total`;

    const answered = await sendHeld(s, { to_addr: 'answered' });
    expect(await metrics.value(`${P}held_requests`)).toBe(1);
    await s.peer.reply(answered.inbound, 'pong');
    expect(await (await answered.response).text()).toBe('pong');
    expect(await s.peer.nextEvent()).toMatchObject({ event_type: 'ack' });
    expect(await metrics.waitFor(`${P}events_published_total`, { event_type: 'ack' }, 1)).toBe(1);
    expect(await metrics.value(finished, { reason: 'reply' })).toBe(1);
    expect(await metrics.value(`${P}outbound_messages_total`, { result: 'replied' })).toBe(1);
    expect(await metrics.value(`${P}held_requests`)).toBe(0);

    const ignored = await sendHeld(s, { to_addr: 'ignored' });
    expect((await ignored.response).status).toBe(504);
    expect(await metrics.waitFor(`${P}http_requests_total`, { method: 'GET', status: '504' }, 1)).toBe(1);
    expect(await metrics.value(finished, { reason: 'timeout' })).toBe(1);
    expect(await metrics.value(`${P}component_status`, { component: 'response', status: 'down' })).toBe(1);
    expect(await metrics.value(`${P}component_status`, { component: 'response', status: 'ok' })).toBe(0);

    await s.peer.reply({ ...answered.inbound, message_id: 'b'.repeat(32) }, 'nobody waits for this');
    expect(await s.peer.nextEvent()).toMatchObject({ event_type: 'nack', nack_reason: 'No matching request' });
    expect(await metrics.waitFor(`${P}events_published_total`, { event_type: 'nack', reason: 'no_matching_request' }, 1)).toBe(1);

    const abort = new AbortController();
    await sendHeld(s, { to_addr: 'gone' }, abort.signal);
    abort.abort();
    expect(await metrics.waitFor(finished, { reason: 'disconnect' }, 1)).toBe(1);
    expect(await metrics.waitFor(`${P}http_requests_total`, { status: '499' }, 1)).toBe(1);
    expect(await metrics.value(`${P}held_requests`)).toBe(0);

    expect(await metrics.value(`${P}http_request_duration_seconds_count`, { mode: 'reply' })).toBe(2);
    // The time-out waited at least REQUEST_TIMEOUT: it is past the 1 s bucket.
    const upToOneSecond = await metrics.value(`${P}http_request_duration_seconds_bucket`, { mode: 'reply', le: '1' });
    expect(upToOneSecond).toBe(1);
  });

  it('counts a reconnection after the broker connection drops', async () => {
    const proxy = await StallProxy.start(AMQP_URL);
    const transportName = uniqueTransportName('metrics');
    const peer = await VumiPeer.connect(AMQP_URL, transportName); // straight to the broker, to clean up
    let running: RunningService | undefined;
    try {
      const config = loadConfig({
        AMQP_URL: proxy.urlFor(AMQP_URL),
        TRANSPORT_NAME: transportName,
        WEB_PORT: '0',
        HOST: '127.0.0.1',
        AMQP_RECONNECT_INTERVAL: '0.2',
      });
      running = await startService(config, false);
      await running.ready;
      const metrics = new MetricsReader(`${running.url}/metrics`);
      expect(await metrics.value(`${P}broker_reconnects_total`)).toBe(0);
      proxy.cut();
      expect(await metrics.waitFor(`${P}broker_reconnects_total`, {}, 1)).toBe(1);
      expect(await metrics.value(`${P}broker_connection_state`, { state: 'connected' })).toBe(1);
    } finally {
      await running?.shutdown();
      await proxy.stop();
      await peer.destroy();
    }
  });
});
