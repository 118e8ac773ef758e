import { ServiceProcess, AMQP_URL } from './support/service-process';
import { VumiPeer } from './support/vumi-peer';
import { anyNumber } from './support/matchers';

type LogLine = Record<string, unknown> & { level: string; time: string; msg: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every line the service wrote, each parsed as JSON (a line that is not JSON fails the test). */
function jsonLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .trimEnd()
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`Not a JSON log line: ${line}`);
      }
    });
}

/** The real service as a child process, its real stdout: structured logs with the ids that tie lines together. */
describe('structured logs', () => {
  let service: ServiceProcess | undefined;
  let peer: VumiPeer | undefined;

  afterEach(async () => {
    await service?.stop();
    await peer?.destroy();
    service = undefined;
    peer = undefined;
  });

  async function start(env: Record<string, string>): Promise<ServiceProcess> {
    service = await ServiceProcess.start(env);
    peer = await VumiPeer.connect(AMQP_URL, service.transportName);
    return service;
  }

  it('LOG_LEVEL=debug with NOISY: JSON lines with the request id and the message id, bodies included', async () => {
    const s = await start({
      LOG_LEVEL: 'debug',
      NOISY: 'true',
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '1',
      REQUEST_CLEANUP_INTERVAL: '1',
    });
    const replied = fetch(s.api({ to_addr: '555', from_addr: '123', content: 'ping' }), { headers: { 'X-Request-Id': 'req-a-1' } });
    const inbound = await peer!.nextInbound(10_000);
    const reply = await peer!.reply(inbound, 'pong');
    const answer = await replied;
    expect(answer.headers.get('x-request-id')).toBe('req-a-1'); // the caller's own id, echoed
    expect(await answer.text()).toBe('pong');
    expect(await peer!.nextEvent(10_000)).toMatchObject({ event_type: 'ack' });

    // A request id that is not sane is replaced; this request gets no reply and times out.
    const timedOut = await fetch(s.api({ to_addr: '666', from_addr: '123', content: 'hello?' }), {
      headers: { 'X-Request-Id': 'not a "sane" id' },
    });
    expect(timedOut.status).toBe(504);
    const generated = timedOut.headers.get('x-request-id') ?? '';
    expect(generated).toMatch(UUID);
    const unanswered = await peer!.nextInbound(10_000);
    await s.stop();

    const lines = jsonLines(s);
    for (const line of lines) {
      expect(line).toMatchObject({ transport_name: s.transportName, instance_id: s.config.instanceId });
      expect(typeof line.msg).toBe('string');
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(new Date(line.time).toISOString()).toBe(line.time);
    }
    const ofRequest = lines.filter((line) => line.request_id === 'req-a-1');
    expect(ofRequest.find((line) => line.context === 'Inbound')).toMatchObject({
      level: 'info',
      message_id: inbound.message_id,
      body: { message_id: inbound.message_id, content: 'ping', to_addr: '555' },
    });
    expect(ofRequest.find((line) => line.res !== undefined)).toMatchObject({
      level: 'debug',
      req: { method: 'GET', path: '/http_api' },
      res: { status_code: 200 },
      response_time_ms: anyNumber(),
    });
    expect(lines.find((line) => line.msg === `Outbound message ${String(reply.message_id)}`)).toMatchObject({
      message_id: reply.message_id,
      in_reply_to: inbound.message_id,
      body: { content: 'pong' },
    });
    // The time-out is logged by the sweep, outside the request, and still names both ids.
    expect(lines.find((line) => line.msg === 'Timing out 666')).toMatchObject({
      level: 'warn',
      request_id: generated,
      message_id: unanswered.message_id,
    });
    expect(s.output()).not.toContain('sane');
  }, 60_000);

  it('the API path with a trailing slash is logged as the API path: its line, the request id in the Inbound line and the answer', async () => {
    const s = await start({ LOG_LEVEL: 'debug' });
    const query = new URLSearchParams({ to_addr: '555', from_addr: '123', content: 'hi' }).toString();
    const answer = await fetch(`${s.api().split('?')[0]}/?${query}`, { headers: { 'X-Request-Id': 'req-slash-1' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBe('req-slash-1');
    const inbound = await peer!.nextInbound(10_000);
    await s.stop();

    const ofRequest = jsonLines(s).filter((line) => line.request_id === 'req-slash-1');
    expect(ofRequest.find((line) => line.context === 'Inbound')).toMatchObject({ level: 'debug', message_id: inbound.message_id });
    expect(ofRequest.find((line) => line.res !== undefined)).toMatchObject({
      level: 'debug',
      req: { method: 'GET', path: '/http_api/' },
      res: { status_code: 200 },
    });
  }, 60_000);

  it('LOG_LEVEL=info (the default): no line for requests, whatever they are answered', async () => {
    const s = await start({});
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await fetch(s.api({ to_addr: '555', from_addr: `${i}`, content: 'hi' }))).status);
      statuses.push((await fetch(s.api({ to_addr: '555' }))).status);
      statuses.push((await fetch(s.api(), { method: 'DELETE' })).status);
    }
    expect(new Set(statuses)).toEqual(new Set([200, 400, 405]));
    for (let i = 0; i < 10; i++) await peer!.nextInbound(10_000);
    await s.stop();

    const lines = jsonLines(s);
    const listening = lines.findIndex((line) => line.msg.startsWith('Listening on'));
    const stopping = lines.findIndex((line) => line.msg.startsWith('SIGTERM received'));
    expect(listening).toBeGreaterThanOrEqual(0);
    // The service listens before the broker answers: its connection lines and the "ready" line may follow.
    const startUp = (line: LogLine) => String(line.context).startsWith('AmqpConnection:') || line.msg.includes('ready for traffic');
    expect(lines.slice(listening + 1, stopping).filter((line) => !startUp(line))).toEqual([]);
    expect(lines.filter((line) => 'request_id' in line)).toEqual([]);
  }, 60_000);

  it('LOG_PRETTY=true: human-readable lines', async () => {
    const s = await start({ LOG_PRETTY: 'true' });
    await s.waitForOutput('[Main] Listening on http://127.0.0.1:');
    expect(s.output()).not.toContain('"msg":');
  }, 60_000);
});
