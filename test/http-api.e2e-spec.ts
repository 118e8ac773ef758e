import { randomBytes } from 'node:crypto';
import { JsonObject } from '../src/wire/vumi-message';
import { rawHttp } from './support/raw-http';
import { startTestService, TestService } from './support/test-service';
import { anyString, stringMatching } from './support/matchers';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'Content-Type': 'application/json' };
const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };

/** Every field of a user message in wire-protocol.md. */
const USER_MESSAGE_FIELDS = [
  'message_version',
  'message_type',
  'timestamp',
  'message_id',
  'to_addr',
  'from_addr',
  'content',
  'group',
  'session_event',
  'in_reply_to',
  'provider',
  'transport_name',
  'transport_type',
  'transport_metadata',
  'helper_metadata',
  'routing_metadata',
  'to_addr_type',
  'from_addr_type',
];

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The answer of an accepted request: 200 and the id of the message published. */
async function acceptedId(response: Response): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status: 200 });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { message_id: string };
  expect(Object.keys(body)).toEqual(['message_id']);
  return body.message_id;
}

/** The next message on `.inbound`, which must be the one the HTTP answer named. */
async function publishedFor(service: TestService, response: Response): Promise<JsonObject> {
  const id = await acceptedId(response);
  const message = await service.peer.nextInbound();
  expect(message.message_id).toBe(id);
  return message;
}

/**
 * Proves that the refused request just answered published nothing: the next
 * message on `.inbound` is the one of a good request sent after it (one
 * channel, in order), with a marker of its own. Called in the test that made
 * the refused request, so it proves it whatever ran before.
 */
async function expectNothingPublished(service: TestService, init: RequestInit = {}): Promise<void> {
  const marker = `marker-${randomBytes(4).toString('hex')}`;
  const message = await publishedFor(service, await fetch(service.api({ ...COMPLETE, content: marker }), init));
  expect(message.content).toBe(marker);
}

async function expectJsonError(response: Response, status: number, error: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ error, message: anyString() });
}

describe('HTTP API', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });

  afterAll(async () => {
    await service?.stop();
  });

  describe('methods and bodies', () => {
    it('POST with a form body', async () => {
      const response = await fetch(service.api(), { method: 'POST', headers: FORM, body: form(COMPLETE) });
      expect(await publishedFor(service, response)).toMatchObject(COMPLETE);
    });

    it('PUT with a form body', async () => {
      const response = await fetch(service.api(), { method: 'PUT', headers: FORM, body: form({ ...COMPLETE, content: 'öæł' }) });
      expect(await publishedFor(service, response)).toMatchObject({ ...COMPLETE, content: 'öæł' });
    });

    it('POST with fields in both the query and the form body', async () => {
      const response = await fetch(service.api({ to_addr: '555', content: 'from query' }), {
        method: 'POST',
        headers: FORM,
        body: 'from_addr=123&content=from+body',
      });
      expect(await publishedFor(service, response)).toMatchObject({ ...COMPLETE, content: 'from body' });
    });

    it('POST with a JSON body', async () => {
      const response = await fetch(service.api(), {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify({ ...COMPLETE, group: '#chan', session_event: 'new', content: 'öæł 🙂' }),
      });
      const message = await publishedFor(service, response);
      expect(message).toMatchObject({ ...COMPLETE, group: '#chan', session_event: 'new', content: 'öæł 🙂' });
    });

    it('PUT with a JSON body whose null values count as absent', async () => {
      const response = await fetch(service.api(), {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ ...COMPLETE, group: null }),
      });
      expect(await publishedFor(service, response)).toMatchObject({ ...COMPLETE, group: null });
    });

    it("a JSON body value replaces the query's for the same key", async () => {
      const response = await fetch(service.api({ content: 'query', to_addr: '555', group: 'query-group' }), {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{"content":"body","from_addr":"123"}',
      });
      const message = await publishedFor(service, response);
      expect(message).toMatchObject({ content: 'body', to_addr: '555', from_addr: '123', group: 'query-group' });
    });

    it('the first value wins for a key repeated in the query, a form body or a JSON body', async () => {
      const fromQuery = await fetch(`${service.api()}to_addr=555&from_addr=123&content=first&content=second`);
      expect((await publishedFor(service, fromQuery)).content).toBe('first');

      const fromForm = await fetch(service.api(), { method: 'POST', headers: FORM, body: 'to_addr=5&to_addr=6&from_addr=1&content=x' });
      expect((await publishedFor(service, fromForm)).to_addr).toBe('5');

      const fromJson = await fetch(service.api(), {
        method: 'POST',
        headers: JSON_TYPE,
        body: '{"to_addr":"555","from_addr":"123","content":"first","content":"second"}',
      });
      expect((await publishedFor(service, fromJson)).content).toBe('first');
    });

    it('POST with Expect: 100-continue, as curl sends larger bodies', async () => {
      const body = Buffer.from(form({ ...COMPLETE, content: 'x'.repeat(2000) }));
      const headers = { ...FORM, Expect: '100-continue' };
      const response = await rawHttp(service.url, { method: 'POST', path: '/http_api', headers, body });
      expect(response.status).toBe(200);
      const message = await service.peer.nextInbound();
      expect(JSON.parse(response.body)).toEqual({ message_id: message.message_id });
      expect(message.content).toHaveLength(2000);
    });

    it('an empty POST body leaves the query fields', async () => {
      const response = await fetch(service.api(COMPLETE), { method: 'POST' });
      expect(await publishedFor(service, response)).toMatchObject(COMPLETE);
    });

    it.each(['DELETE', 'PATCH', 'OPTIONS'])('%s gets 405 with an Allow header and publishes nothing', async (method) => {
      const response = await fetch(service.api(COMPLETE), { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, POST, PUT');
      expect(await response.json()).toEqual({ error: 'method_not_allowed', message: `Method ${method} not allowed` });
      await expectNothingPublished(service);
    });

    it('a body of another media type gets 415', async () => {
      const response = await fetch(service.api(COMPLETE), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hi' });
      await expectJsonError(response, 415, 'unsupported_media_type');
      await expectNothingPublished(service);
    });
  });

  describe('session_event', () => {
    it.each(['new', 'resume', 'close'])('%s is published as given', async (event) => {
      const response = await fetch(service.api({ ...COMPLETE, session_event: event }));
      expect((await publishedFor(service, response)).session_event).toBe(event);
    });

    it.each(['open', '', 'NEW'])('%p gets 400 {"invalid_parameter":["session_event"]}', async (event) => {
      const response = await fetch(service.api({ ...COMPLETE, session_event: event }));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ invalid_parameter: ['session_event'] });
      await expectNothingPublished(service);
    });
  });

  describe('caller mistakes get 400 JSON, never 500', () => {
    it('a percent-escape of invalid UTF-8 in the query', async () => {
      await expectJsonError(await fetch(`${service.api(COMPLETE)}&group=%FF%FE`), 400, 'invalid_utf8');
      await expectNothingPublished(service);
    });

    it('a malformed percent-escape in the query', async () => {
      await expectJsonError(await fetch(`${service.api(COMPLETE)}&group=%zz`), 400, 'invalid_utf8');
      await expectNothingPublished(service);
    });

    // Node 20's HTTP parser refuses any raw non-ASCII byte in the request target (Twisted took them):
    // the caller gets a JSON 400 that says to percent-encode, valid UTF-8 or not.
    it.each([
      ['invalid UTF-8', Buffer.from([0xff, 0xc3])],
      ['valid UTF-8', Buffer.from('öæł')],
    ])('raw bytes of %s in the request target: a JSON 400 telling to percent-encode', async (_, bytes) => {
      const path = `/http_api?to_addr=555&from_addr=123&content=${bytes.toString('latin1')}`;
      const response = await rawHttp(service.url, { method: 'GET', path });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(response.body) as { error: string; message: string };
      expect(body.error).toBe('malformed_request');
      expect(body.message).toContain('percent-encoded');
      await expectNothingPublished(service);
    });

    it('invalid UTF-8 in a form body', async () => {
      const body = Buffer.concat([Buffer.from('to_addr=555&from_addr=123&content='), Buffer.from([0xe2, 0x82])]);
      await expectJsonError(await fetch(service.api(), { method: 'POST', headers: FORM, body }), 400, 'invalid_utf8');
      await expectNothingPublished(service);
    });

    it('invalid UTF-8 in a JSON body', async () => {
      const body = Buffer.concat([Buffer.from('{"to_addr":"555","from_addr":"123","content":"'), Buffer.from([0xff]), Buffer.from('"}')]);
      await expectJsonError(await fetch(service.api(), { method: 'POST', headers: JSON_TYPE, body }), 400, 'invalid_utf8');
      await expectNothingPublished(service);
    });

    it.each([
      ['malformed JSON', '{"to_addr": "555",'],
      ['a JSON array', '[["to_addr","555"]]'],
      ['a JSON string', '"to_addr=555"'],
      ['a non-string JSON value', '{"to_addr":555,"from_addr":"123","content":"x"}'],
    ])('%s', async (_, body) => {
      await expectJsonError(await fetch(service.api(), { method: 'POST', headers: JSON_TYPE, body }), 400, 'invalid_json');
      await expectNothingPublished(service);
    });

    it('headers larger than Node accepts: 431 JSON, from the parser itself', async () => {
      const response = await rawHttp(service.url, {
        method: 'GET',
        path: `/http_api?${form(COMPLETE)}`,
        headers: { 'X-Big': 'a'.repeat(20_000) },
      });
      expect(response.status).toBe(431);
      expect(JSON.parse(response.body)).toEqual({ error: 'headers_too_large', message: anyString() });
      await expectNothingPublished(service);
    });

    it('too many parameters', async () => {
      const query = Array.from({ length: 1001 }, (_, i) => `p${i}=x`).join('&');
      await expectJsonError(await fetch(`${service.api(COMPLETE)}&${query}`), 400, 'too_many_parameters');
      await expectNothingPublished(service);
    });
  });

  describe('the message on .inbound, field by field (wire-protocol.md)', () => {
    it('holds every field, as a persistent UTF-8 JSON message on the vumi exchange', async () => {
      const before = Date.now();
      const response = await fetch(service.api({ ...COMPLETE, content: 'hello öæł' }));
      const id = await acceptedId(response);
      const raw = await service.peer.nextRaw(service.peer.keys.inbound);
      const transport = service.config.transportName;

      expect(raw.fields.exchange).toBe('vumi');
      expect(raw.fields.routingKey).toBe(`${transport}.inbound`);
      expect(raw.properties.deliveryMode).toBe(2);

      const message = JSON.parse(raw.content.toString('utf8')) as JsonObject;
      expect(Object.keys(message).sort()).toEqual([...USER_MESSAGE_FIELDS].sort());
      expect(message).toStrictEqual({
        message_version: '20110921',
        message_type: 'user_message',
        timestamp: stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/),
        message_id: id,
        to_addr: '555',
        from_addr: '123',
        content: 'hello öæł',
        group: null,
        session_event: null,
        in_reply_to: null,
        provider: null,
        transport_name: transport,
        transport_type: 'http_api',
        transport_metadata: { http_api: { instance_id: service.config.instanceId } },
        helper_metadata: {},
        routing_metadata: {},
        to_addr_type: null,
        from_addr_type: null,
      });
      expect(id).toMatch(/^[0-9a-f]{32}$/);

      // UTC and now: the text read as UTC lies between the request and this check (a clock check, not a speed one).
      const stamp = Date.parse(`${(message.timestamp as string).replace(' ', 'T').slice(0, 23)}Z`);
      expect(stamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(stamp).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('gives each message its own id', async () => {
      const first = await publishedFor(service, await fetch(service.api(COMPLETE)));
      const second = await publishedFor(service, await fetch(service.api(COMPLETE)));
      expect(first.message_id).not.toBe(second.message_id);
    });
  });

  describe('health', () => {
    it("answers Vumi's pending_requests beside the broker's state", async () => {
      const response = await fetch(`${service.url}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as JsonObject;
      expect(body).toMatchObject({
        pending_requests: 0,
        status: 'ok',
        info: {
          broker: { status: 'up', state: 'connected', reconnects: 0 },
          response: { status: 'up', state: 'ok', degraded_after: 1, down_after: 10 },
        },
        error: {},
      });
    });

    it.each(['/health/ready', '/health/live'])('%s answers 200', async (path) => {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok' });
    });
  });
});

describe('HTTP API: HEAD', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('gets 405 and publishes nothing', async () => {
    const head = await rawHttp(service.url, { method: 'HEAD', path: `/http_api?${form({ ...COMPLETE, content: 'head' })}` });
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('GET, POST, PUT');
    expect(head.body).toBe('');

    // The message of a later good request is confirmed (so queued) when answered: it must be the only one.
    const id = await acceptedId(await fetch(service.api({ ...COMPLETE, content: 'get' })));
    expect(await service.peer.depth(service.peer.keys.inbound)).toBe(1);
    const message = await service.peer.nextInbound();
    expect(message).toMatchObject({ message_id: id, content: 'get' });
  });
});

describe('HTTP API: permissive mode', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ VALIDATION_MODE: 'permissive' });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('drops an unknown field silently and publishes the message', async () => {
    const response = await fetch(service.api({ ...COMPLETE, foo: 'bar', provider: 'x' }));
    const message = await publishedFor(service, response);
    expect(message).toMatchObject({ ...COMPLETE, provider: null });
    expect(message).not.toHaveProperty('foo');
    expect(JSON.stringify(message)).not.toContain('bar');
  });

  it('still answers 400 for missing fields', async () => {
    const response = await fetch(service.api({ content: 'hello', foo: 'bar' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ missing_parameter: ['to_addr', 'from_addr'] });
  });
});

describe('HTTP API: basic auth', () => {
  let service: TestService;
  const credentials = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeAll(async () => {
    service = await startTestService({ WEB_USERNAME: 'user', WEB_PASSWORD: 'päss', WEB_AUTH_DOMAIN: 'Test Realm' });
  });

  afterAll(async () => {
    await service?.stop();
  });

  async function expectUnauthorized(response: Response): Promise<void> {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Test Realm"');
    expect(await response.text()).toBe('Unauthorized');
  }

  it('good credentials: 200', async () => {
    const response = await fetch(service.api(COMPLETE), { headers: { Authorization: credentials('user', 'päss') } });
    expect(await publishedFor(service, response)).toMatchObject(COMPLETE);
  });

  const authorised = () => ({ headers: { Authorization: credentials('user', 'päss') } });

  it('bad credentials: 401 Unauthorized with the realm, nothing published', async () => {
    await expectUnauthorized(await fetch(service.api(COMPLETE), { headers: { Authorization: credentials('user', 'wrong') } }));
    await expectUnauthorized(await fetch(service.api(COMPLETE), { headers: { Authorization: credentials('other', 'päss') } }));
    await expectNothingPublished(service, authorised());
  });

  it('no credentials: 401, nothing published', async () => {
    await expectUnauthorized(await fetch(service.api(COMPLETE)));
    await expectUnauthorized(await fetch(service.api(), { method: 'POST', headers: FORM, body: form(COMPLETE) }));
    await expectNothingPublished(service, authorised());
  });

  it.each(['Basic', 'Basic !!!', 'Bearer dXNlcjpww6Rzcw==', 'dXNlcjpww6Rzcw==', 'Basic dXNlcg=='])(
    'a malformed Authorization header %p: 401',
    async (header) => {
      await expectUnauthorized(await fetch(service.api(COMPLETE), { headers: { Authorization: header } }));
      await expectNothingPublished(service, authorised());
    },
  );

  it('refuses before validating: bad fields without credentials get 401', async () => {
    await expectUnauthorized(await fetch(service.api({ foo: 'bar' })));
    await expectNothingPublished(service, authorised());
  });

  it.each(['/health', '/health/live', '/health/ready'])('%s answers without auth', async (path) => {
    const response = await fetch(`${service.url}${path}`);
    expect(response.status).toBe(200);
  });
});

describe('HTTP API: body limit', () => {
  const LIMIT = 1024;
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ BODY_LIMIT: String(LIMIT) });
  });

  afterAll(async () => {
    await service?.stop();
  });

  const bodyOf = (size: number) => Buffer.from(form({ ...COMPLETE, content: 'x'.repeat(size) }));

  function expect413(response: { status: number; body: string }): void {
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: 'payload_too_large', message: `Request body exceeds ${LIMIT} bytes` });
  }

  it('accepts a body up to the limit', async () => {
    const body = bodyOf(LIMIT - bodyOf(0).length);
    expect(body.length).toBe(LIMIT);
    const response = await fetch(service.api(), { method: 'POST', headers: FORM, body });
    expect((await publishedFor(service, response)).content).toHaveLength(LIMIT - bodyOf(0).length);
  });

  it('413 for a body above the limit, with Content-Length', async () => {
    const response = await rawHttp(service.url, { method: 'POST', path: '/http_api', headers: FORM, body: bodyOf(LIMIT) });
    expect413(response);
    await expectNothingPublished(service);
  });

  it('413 for a body above the limit sent chunked, without Content-Length', async () => {
    const chunks = [bodyOf(100), Buffer.alloc(LIMIT, 'x'), Buffer.alloc(LIMIT, 'x')];
    const response = await rawHttp(service.url, { method: 'PUT', path: '/http_api', headers: FORM, body: chunks });
    expect413(response);
    await expectNothingPublished(service);
  });

  it('413 for a large declared Content-Length', async () => {
    const response = await fetch(service.api(), { method: 'POST', headers: FORM, body: bodyOf(LIMIT * 64) });
    expect413({ status: response.status, body: await response.text() });
    await expectNothingPublished(service);
  });

  it('keeps serving a form body after refusing one, and published nothing for the refused one', async () => {
    expect413(await rawHttp(service.url, { method: 'POST', path: '/http_api', headers: FORM, body: bodyOf(LIMIT) }));
    const response = await fetch(service.api(), { method: 'POST', headers: FORM, body: form({ ...COMPLETE, content: 'after' }) });
    expect((await publishedFor(service, response)).content).toBe('after');
  });
});
