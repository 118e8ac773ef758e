import { request as httpRequest } from 'node:http';
import { buildReply } from '../src/wire/vumi-application';
import { JsonObject } from '../src/wire/vumi-message';
import { call, Answer } from './support/http-call';
import { startTestService, TestService } from './support/test-service';

/**
 * Issue 25: a held request's answer as JSON with the session's state when the caller's Accept
 * prefers it (or REPLY_FORMAT=json and it states no preference); Vumi's text otherwise, byte for
 * byte. Real broker, real HTTP port; the application side is a VumiPeer.
 */
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const FIELDS = { to_addr: '*120*7#', from_addr: '+27831234567', content: '1' };

describe('replies as JSON (content negotiation)', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<TestService> {
    service = await startTestService({ REPLY_EXPECTED: 'true', ...env });
    return service;
  }

  /** Sends a held request with these headers; resolves with its inbound message once published. */
  async function hold(s: TestService, headers: Record<string, string>, fields: Record<string, string> = FIELDS) {
    const answer = call(s.api(fields), { headers });
    const inbound = await s.peer.nextInbound();
    return { answer, inbound };
  }

  /** The application's reply, as Vumi's msg.reply() makes it, with a session_event of our choosing. */
  async function reply(s: TestService, inbound: JsonObject, content: string, session_event: string | null): Promise<JsonObject> {
    const message = {
      ...buildReply(inbound, content),
      session_event,
      helper_metadata: { ...(inbound.helper_metadata as JsonObject), menu: 'main' },
    };
    await s.peer.publishOutbound(message);
    return message;
  }

  function expectJsonReply(answer: Answer, sent: JsonObject, inbound: JsonObject): void {
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe(JSON_TYPE);
    expect(answer.headers.get('vary')).toBe('Accept');
    expect(JSON.parse(answer.body)).toStrictEqual({
      message_id: sent.message_id,
      to_addr: '+27831234567',
      from_addr: '*120*7#',
      content: sent.content,
      session_event: sent.session_event,
      in_reply_to: inbound.message_id,
      helper_metadata: { menu: 'main' },
    });
  }

  it('answers JSON with the session_event (close, resume) to a caller that prefers application/json', async () => {
    const s = await start();
    const closing = await hold(s, { Accept: 'application/json' });
    const closed = await reply(s, closing.inbound, 'Bye "now"\n€', 'close');
    expectJsonReply(await closing.answer, closed, closing.inbound);

    const resuming = await hold(s, { Accept: 'application/json;q=1, text/plain;q=0.5' });
    const resumed = await reply(s, resuming.inbound, '1. Balance\n2. Quit', 'resume');
    expectJsonReply(await resuming.answer, resumed, resuming.inbound);

    // Vumi's own reply() while the session continues: session_event null.
    const continuing = await hold(s, { Accept: 'application/json, */*' });
    await s.peer.reply(continuing.inbound, 'more');
    expect(JSON.parse((await continuing.answer).body)).toMatchObject({ content: 'more', session_event: null });
  });

  it("answers Vumi's text, byte for byte, to every caller without that preference, whatever the session_event", async () => {
    const s = await start();
    const accepts: Array<Record<string, string>> = [
      {}, // fetch sends */*
      { Accept: '*/*' },
      { Accept: 'text/plain' },
      { Accept: 'application/json, text/plain, */*' }, // axios: both named alike
      { Accept: 'application/json;q=0.5, text/plain' },
      { Accept: 'image/png' }, // neither acceptable: no 406 for a reply
    ];
    for (const [i, headers] of accepts.entries()) {
      const held = await hold(s, headers);
      const content = `Bye "now"\r\n€ ${i}`;
      await reply(s, held.inbound, content, i % 2 === 0 ? 'close' : 'resume');
      const answer = await held.answer;
      expect([headers, answer.status, answer.headers.get('content-type'), answer.body]).toEqual([headers, 200, TEXT, content]);
      expect(answer.headers.get('vary')).toBe('Accept');
    }
  });

  it('a time-out answers the configured status under each preference: the configured body as text, {error, message} as JSON', async () => {
    const s = await start({
      REQUEST_TIMEOUT: '1',
      REQUEST_CLEANUP_INTERVAL: '1',
      REQUEST_TIMEOUT_STATUS_CODE: '408',
      REQUEST_TIMEOUT_BODY: 'no reply in time',
    });
    const text = await hold(s, { Accept: 'text/plain' });
    const json = await hold(s, { Accept: 'application/json' }, { ...FIELDS, content: '2' });
    const [textAnswer, jsonAnswer] = await Promise.all([text.answer, json.answer]);
    expect(textAnswer).toMatchObject({ status: 408, body: 'no reply in time' });
    expect(textAnswer.headers.get('content-type')).toBe(TEXT);
    expect(jsonAnswer.status).toBe(408);
    expect(jsonAnswer.headers.get('content-type')).toBe(JSON_TYPE);
    expect(JSON.parse(jsonAnswer.body)).toStrictEqual({ error: 'reply_timeout', message: 'no reply in time' });
  });

  it('REPLY_FORMAT=json: JSON for callers that state no preference (no Accept at all, or */*); an explicit text/plain still gets text', async () => {
    const s = await start({ REPLY_FORMAT: 'json' });
    const bare = withoutAccept(s.api(FIELDS));
    const bareInbound = await s.peer.nextInbound();
    const bareReply = await reply(s, bareInbound, 'Bye', 'close');
    expectJsonReply(await bare, bareReply, bareInbound);

    const any = await hold(s, {}); // fetch's */*
    const anyReply = await reply(s, any.inbound, 'Menu', 'resume');
    expectJsonReply(await any.answer, anyReply, any.inbound);

    const text = await hold(s, { Accept: 'text/plain' });
    await reply(s, text.inbound, 'plain', 'close');
    expect(await text.answer).toMatchObject({ status: 200, body: 'plain' });
    expect((await text.answer).headers.get('content-type')).toBe(TEXT);
  });

  it('an Idempotency-Key replays the representation asked for first, to a retry asking either one', async () => {
    const s = await start();
    const keyed = (key: string, accept: string) => ({ 'Idempotency-Key': `"${key}"`, Accept: accept });

    const asJson = await hold(s, keyed('json-first', 'application/json'));
    const sent = await reply(s, asJson.inbound, 'Balance: 42', 'close');
    const first = await asJson.answer;
    expectJsonReply(first, sent, asJson.inbound);
    for (const accept of ['application/json', 'text/plain']) {
      const repeat = await call(s.api(FIELDS), { headers: keyed('json-first', accept) });
      expect([accept, repeat.status, repeat.headers.get('content-type'), repeat.body]).toEqual([accept, 200, JSON_TYPE, first.body]);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.headers.get('vary')).toBe('Accept');
    }

    const asText = await hold(s, keyed('text-first', 'text/plain'), { ...FIELDS, content: '2' });
    await reply(s, asText.inbound, 'Balance: 43', 'close');
    expect((await asText.answer).body).toBe('Balance: 43');
    for (const accept of ['text/plain', 'application/json']) {
      const repeat = await call(s.api({ ...FIELDS, content: '2' }), { headers: keyed('text-first', accept) });
      expect([accept, repeat.status, repeat.headers.get('content-type'), repeat.body]).toEqual([accept, 200, TEXT, 'Balance: 43']);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    }
    // Nothing was published again: the two first requests only.
    expect(await s.peer.depth(s.peer.keys.inbound)).toBe(0);
  });

  it('fire-and-forget is unchanged: {"message_id"} whatever the Accept, without Vary', async () => {
    service = await startTestService({ REPLY_FORMAT: 'json' });
    for (const accept of ['application/json', 'text/plain']) {
      const answer = await call(service.api(FIELDS), { headers: { Accept: accept } });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatch(/^\{"message_id":"[0-9a-f]{32}"\}$/);
      expect(answer.headers.get('vary')).toBeNull();
    }
  });
});

/** A GET with no Accept header at all (fetch always adds one). */
function withoutAccept(url: string): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
