import { buildReply } from '../src/wire/vumi-application';
import { JsonObject } from '../src/wire/vumi-message';
import { parseVumiTimestamp } from '../src/wire/vumi-timestamp';
import { sendHeld } from './support/held-requests';
import { startTestService, TestService } from './support/test-service';
import { anyString, stringContaining } from './support/matchers';

/**
 * Counterparts of Vumi's own HttpRpcTransport tests
 * (vumi/transports/httprpc/tests/test_httprpc.py) not already in
 * vumi-api.e2e-spec.ts or reply-mode.e2e-spec.ts, and the drop-in fixes of
 * issue 11, each naming the Vumi behaviour it matches. docs/vumi-compatibility.md
 * maps every Vumi test to ours.
 */

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'Content-Type': 'application/json' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** An outbound message as Vumi's TransportHelper.make_outbound("outbound") builds it: no in_reply_to. */
function vumiOutbound(transportName: string): JsonObject {
  return {
    ...buildReply({ message_id: 'unused', to_addr: '9292', from_addr: '+41791234567', transport_name: transportName }, 'outbound'),
    in_reply_to: null,
    transport_type: 'sms',
    routing_metadata: {},
  };
}

describe("Vumi's HttpRpcTransport cases (test_httprpc.py)", () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  describe('TestTransport', () => {
    async function start(): Promise<TestService> {
      service = await startTestService({
        WEB_PATH: 'foo',
        REPLY_EXPECTED: 'true',
        REQUEST_TIMEOUT: '10',
        REQUEST_TIMEOUT_STATUS_CODE: '418',
        REQUEST_TIMEOUT_BODY: 'I am a teapot',
      });
      return service;
    }

    it('test_inbound: the reply is the response; the ack has user_message_id = sent_message_id = the reply id', async () => {
      const s = await start();
      const call = await sendHeld(s, { to_addr: 'to_addr' });
      const rep = await s.peer.reply(call.inbound, 'OK');
      expect(await (await call.response).text()).toBe('OK');
      const ack = await s.peer.nextEvent();
      expect(ack).toMatchObject({ event_type: 'ack', user_message_id: rep.message_id, sent_message_id: rep.message_id });
    });

    it('test_nack: user_message_id = sent_message_id = the message id, reason "Missing fields: in_reply_to"', async () => {
      const s = await start();
      const msg = vumiOutbound(s.config.transportName);
      await s.peer.publishOutbound(msg);
      const nack = await s.peer.nextEvent();
      expect(nack).toMatchObject({
        event_type: 'nack',
        user_message_id: msg.message_id,
        sent_message_id: msg.message_id,
        nack_reason: 'Missing fields: in_reply_to',
      });
    });
  });

  describe('TestTransportWithAuthentication', () => {
    async function start(): Promise<TestService> {
      service = await startTestService({
        WEB_PATH: 'foo',
        WEB_USERNAME: 'user-1',
        WEB_PASSWORD: 'pass-secret',
        WEB_AUTH_DOMAIN: 'Mordor',
        REPLY_EXPECTED: 'true',
      });
      return service;
    }

    it("test_health_doesnt_require_auth: {'pending_requests': 0} without credentials", async () => {
      const s = await start();
      const response = await fetch(`${s.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ pending_requests: 0 });
    });

    it('test_inbound_with_successful_auth: the reply is the response, then the ack', async () => {
      const s = await start();
      const pending = fetch(s.api({ to_addr: 'to_addr', from_addr: '', content: '' }), {
        headers: { Authorization: basic('user-1', 'pass-secret') },
      });
      const inbound = await s.peer.nextInbound();
      const rep = await s.peer.reply(inbound, 'OK');
      expect(await (await pending).text()).toBe('OK');
      expect(await s.peer.nextEvent()).toMatchObject({ user_message_id: rep.message_id, sent_message_id: rep.message_id });
    });

    it('test_inbound_with_failed_auth and test_inbound_without_auth: body "Unauthorized", realm Mordor', async () => {
      const s = await start();
      const attempts: Array<Record<string, string>> = [{ Authorization: basic('user-1', 'bad-pass') }, {}];
      for (const headers of attempts) {
        const response = await fetch(s.api({ to_addr: 'to_addr', from_addr: '', content: '' }), { headers });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="Mordor"');
        expect(await response.text()).toBe('Unauthorized');
      }
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
    });
  });

  describe('TestJSONTransport', () => {
    it('test_inbound: fields from a JSON POST body; the reply content is the response, verbatim', async () => {
      service = await startTestService({ WEB_PATH: 'foo', REPLY_EXPECTED: 'true' });
      const s = service;
      const pending = fetch(s.api(), {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{"content": "hello", "to_addr": "the_app", "from_addr": "some_msisdn"}',
      });
      const msg = await s.peer.nextInbound();
      expect(msg).toMatchObject({ content: 'hello', to_addr: 'the_app', from_addr: 'some_msisdn' });
      await s.peer.reply(msg, '{"content": "bye"}');
      expect(await (await pending).text()).toBe('{"content": "bye"}');
    });
  });
});

describe('drop-in fixes (issue 11)', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it("a forwarded reply whose holder is gone is nacked with sent_message_id (Vumi's reject_message)", async () => {
    service = await startTestService({ REPLY_EXPECTED: 'true' });
    const s = service;
    const reply = buildReply(
      { message_id: 'e'.repeat(32), to_addr: '555', from_addr: '123', transport_metadata: { http_api: { instance_id: 'gone-pod' } } },
      'for nobody',
    );
    await s.peer.publishOutbound(reply);
    expect(await s.peer.nextEvent()).toMatchObject({
      event_type: 'nack',
      user_message_id: reply.message_id,
      sent_message_id: reply.message_id,
      nack_reason: 'No matching request',
    });
  });

  describe('MAX_PARAMETERS: Vumi has no limit; 1000, inclusive, by default', () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => `f${i}=x`).join('&');
    const valid = 'to_addr=555&from_addr=123&content=hi';

    it('permissive: 150 fields are answered 200 and the message published, as Vumi does', async () => {
      service = await startTestService({ VALIDATION_MODE: 'permissive' });
      const response = await fetch(`${service.api()}${valid}&${many(147)}`);
      expect(response.status).toBe(200);
      const { message_id } = (await response.json()) as { message_id: string };
      expect((await service.peer.nextInbound()).message_id).toBe(message_id);
    });

    it("strict: 150 fields get Vumi's unexpected_parameter list, every unknown field in the order sent", async () => {
      service = await startTestService();
      const response = await fetch(`${service.api()}f0=x&${valid}&${many(147).replace('f0=x&', '')}&zz=1&aa=2`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { unexpected_parameter: string[] };
      expect(Object.keys(body)).toEqual(['unexpected_parameter']);
      expect(body.unexpected_parameter).toEqual([...Array.from({ length: 147 }, (_, i) => `f${i}`), 'zz', 'aa']);
    });

    it('1000 fields are accepted, 1001 refused with too_many_parameters', async () => {
      service = await startTestService({ VALIDATION_MODE: 'permissive' });
      const atCap = await fetch(service.api(), { method: 'POST', headers: FORM, body: `${valid}&${many(997)}` });
      expect(atCap.status).toBe(200);
      const overCap = await fetch(service.api(), { method: 'POST', headers: FORM, body: `${valid}&${many(998)}` });
      expect(overCap.status).toBe(400);
      expect(await overCap.json()).toEqual({ error: 'too_many_parameters', message: anyString() });
    });
  });

  it("timestamps have real microseconds (Vumi's datetime.utcnow() with %f), UTC, never going backwards", async () => {
    service = await startTestService();
    const s = service;
    const before = Date.now();
    const stamps: string[] = [];
    for (let i = 0; i < 20; i++) {
      expect((await fetch(s.api({ to_addr: '555', from_addr: '123', content: `t${i}` }))).status).toBe(200);
      stamps.push((await s.peer.nextInbound()).timestamp as string);
    }
    const after = Date.now();
    for (const stamp of stamps) expect(stamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    // Twenty stamps all on whole milliseconds would mean padded milliseconds (chance about 1e-60).
    expect(stamps.some((stamp) => !stamp.endsWith('000'))).toBe(true);
    expect([...stamps].sort()).toEqual(stamps); // the format sorts as time does
    expect(parseVumiTimestamp(stamps[0])!.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(parseVumiTimestamp(stamps[stamps.length - 1])!.getTime()).toBeLessThanOrEqual(after);
  });

  describe('lone surrogates: one rule for every input (issue 12)', () => {
    it.each([
      ['a JSON string value', '{"to_addr":"555","from_addr":"123","content":"a\\ud800b"}'],
      ['a JSON key', '{"to_addr":"555","from_addr":"123","content":"hi","\\udc00":"x"}'],
    ])('in %s: 400 invalid_utf8, as a query or form value is, and nothing published', async (_where, body) => {
      service = await startTestService({ VALIDATION_MODE: 'permissive' });
      const s = service;
      const json = await fetch(s.api(), { method: 'POST', headers: JSON_TYPE, body });
      expect(json.status).toBe(400);
      expect(await json.json()).toEqual({ error: 'invalid_utf8', message: stringContaining('lone surrogate') });
      // The same character percent-encoded (its would-be UTF-8 bytes) in a query and a form body.
      const query = await fetch(`${s.api({ to_addr: '555', from_addr: '123' })}&content=%ED%A0%80`);
      expect(query.status).toBe(400);
      expect(((await query.json()) as { error: string }).error).toBe('invalid_utf8');
      const form = await fetch(s.api(), { method: 'POST', headers: FORM, body: 'to_addr=555&from_addr=123&content=%ED%A0%80' });
      expect(form.status).toBe(400);
      expect(((await form.json()) as { error: string }).error).toBe('invalid_utf8');
      expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
      // A real code point, escaped as a pair, is fine.
      const paired = await fetch(s.api(), {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{"to_addr":"555","from_addr":"123","content":"\\ud83d\\ude00"}',
      });
      expect(paired.status).toBe(200);
      expect((await s.peer.nextInbound()).content).toBe('\u{1F600}');
    });

    it('in a reply from the application: nacked "Invalid fields: content", the request still held for a good reply', async () => {
      service = await startTestService({ REPLY_EXPECTED: 'true' });
      const s = service;
      const call = await sendHeld(s, { to_addr: '555-surrogate' });
      const bad = { ...buildReply(call.inbound, 'placeholder') };
      await s.peer.publishOutbound(JSON.stringify(bad).replace('"placeholder"', '"bad \\ud800"'));
      expect(await s.peer.nextEvent()).toMatchObject({
        event_type: 'nack',
        user_message_id: bad.message_id,
        sent_message_id: bad.message_id,
        nack_reason: 'Invalid fields: content',
      });
      expect(call.answered()).toBe(false);
      await s.peer.reply(call.inbound, 'good');
      expect(await (await call.response).text()).toBe('good');
    });
  });
});
