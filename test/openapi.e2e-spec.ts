import { buildReply } from '../src/wire/vumi-application';
import { sendHeld } from './support/held-requests';
import { badResponseExamples, Document, exampleRequests, operations, problemsWith, send, validOpenApi } from './support/openapi-check';
import { startTestService, TestService } from './support/test-service';

/** The OpenAPI document the service serves, checked against what the same service really answers. */
describe('OpenAPI document', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<{ s: TestService; doc: Document }> {
    service = await startTestService(env);
    const answer = await send(`${service.url}/docs-json`);
    expect(answer.status).toBe(200);
    return { s: service, doc: await validOpenApi(JSON.parse(answer.body)) };
  }

  function operation(doc: Document, path: string, method: 'get' | 'post' | 'put' | 'head') {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`${method} ${path} is not in the document`);
    return found;
  }

  it('is valid OpenAPI 3, served as JSON and as a Swagger UI page, and describes the API, health and metrics', async () => {
    const { s, doc } = await start();
    expect(doc.openapi).toMatch(/^3\./);
    const page = await send(`${s.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/health/live', '/health/ready', '/http_api', '/metrics']);
    expect(Object.keys(doc.paths['/http_api']!).sort()).toEqual(['get', 'head', 'post', 'put']);
    const get = operation(doc, '/http_api', 'get');
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '415', '503', '504']));
    expect(Object.keys(operation(doc, '/http_api', 'head').responses)).toEqual(['405']);
    // Fields come from the DTO: the query parameters are InboundFieldsDto's properties.
    const names = (get.parameters as Array<{ name: string; in: string; required?: boolean }>)
      .filter((p) => p.in === 'query')
      .map((p) => [p.name, p.required]);
    expect(names).toEqual([
      ['to_addr', true],
      ['from_addr', true],
      ['content', true],
      ['group', false],
      ['session_event', false],
    ]);
    expect(badResponseExamples(doc)).toEqual([]);
  });

  it('every request example gets its documented status, and every answer is as documented', async () => {
    const { s, doc } = await start();
    let checked = 0;
    for (const { path, method, operation: op } of operations(doc)) {
      for (const request of exampleRequests(s.url, path, method, op)) {
        const answer = await send(request.url, request.init);
        expect([request.name, answer.status]).toEqual([request.name, request.expected]);
        expect([request.name, problemsWith(op, method, answer)]).toEqual([request.name, []]);
        checked++;
      }
    }
    // get + 4 examples each for post and put (2 media types) + head + health, live, ready, metrics
    expect(checked).toBe(1 + 8 + 8 + 1 + 4);
    const published = new Set<string>();
    for (let i = 0; i < 1 + 4 + 4; i++) published.add((await s.peer.nextInbound()).message_id as string);
    expect(published.size).toBe(9);
  });

  it('reply mode: the reply and the configured time-out answer are documented as sent', async () => {
    const { s, doc } = await start({
      REPLY_EXPECTED: 'true',
      REQUEST_TIMEOUT: '1',
      REQUEST_CLEANUP_INTERVAL: '1',
      REQUEST_TIMEOUT_STATUS_CODE: '408',
      REQUEST_TIMEOUT_BODY: 'no reply in time',
    });
    const get = operation(doc, '/http_api', 'get');
    expect(Object.keys(get.responses)).toContain('408');
    const replied = await sendHeld(s, { to_addr: '555' });
    await s.peer.reply(replied.inbound, 'pong');
    const reply = await replied.response;
    const answer = { status: reply.status, headers: reply.headers, body: await reply.text() };
    expect(answer).toMatchObject({ status: 200, body: 'pong' });
    expect(problemsWith(get, 'get', answer)).toEqual([]);

    const ignored = await sendHeld(s, { to_addr: '666' });
    const late = await ignored.response;
    const timedOut = { status: late.status, headers: late.headers, body: await late.text() };
    expect(timedOut).toMatchObject({ status: 408, body: 'no reply in time' });
    expect(problemsWith(get, 'get', timedOut)).toEqual([]);

    // The JSON representations, to a caller whose Accept prefers them (issue 25).
    const asJson = { headers: { Accept: 'application/json' } };
    const jsonCall = send(s.api({ to_addr: '777', from_addr: '123', content: 'hello' }), asJson);
    await s.peer.publishOutbound(buildReply(await s.peer.nextInbound(), 'pong', { continueSession: false }));
    const jsonReply = await jsonCall;
    expect(jsonReply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(jsonReply.body)).toMatchObject({ content: 'pong', session_event: 'close' });
    expect(problemsWith(get, 'get', jsonReply)).toEqual([]);
    // Vumi's reply() while the session goes on: session_event null, as documented (nullable).
    const goingOn = send(s.api({ to_addr: '778', from_addr: '123', content: 'hello' }), asJson);
    await s.peer.reply(await s.peer.nextInbound(), 'more');
    const goingOnReply = await goingOn;
    expect(JSON.parse(goingOnReply.body)).toMatchObject({ content: 'more', session_event: null });
    expect(problemsWith(get, 'get', goingOnReply)).toEqual([]);
    expect(problemsWith(get, 'get', { ...goingOnReply, body: goingOnReply.body.replace('null', '"bogus"') })).not.toEqual([]);

    const jsonLate = send(s.api({ to_addr: '888', from_addr: '123', content: 'hello' }), asJson);
    await s.peer.nextInbound();
    const jsonTimedOut = await jsonLate;
    expect(jsonTimedOut.status).toBe(408);
    expect(JSON.parse(jsonTimedOut.body)).toEqual({ error: 'reply_timeout', message: 'no reply in time' });
    expect(problemsWith(get, 'get', jsonTimedOut)).toEqual([]);
  });

  it('refusals as documented: 401 with auth on, 413, 415, and 503 with Retry-After', async () => {
    const { s, doc } = await start({
      WEB_USERNAME: 'user',
      WEB_PASSWORD: 'secret',
      BODY_LIMIT: '64',
      REPLY_EXPECTED: 'true',
      MAX_PENDING_REQUESTS: '1',
    });
    expect(doc.components?.securitySchemes).toHaveProperty('basic');
    const post = operation(doc, '/http_api', 'post');
    expect(post.security).toEqual([{ basic: [] }]);
    const auth = { authorization: `Basic ${Buffer.from('user:secret').toString('base64')}` };
    const fields = 'to_addr=555&from_addr=123&content=hi';
    const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    const api = s.api();

    const cases: Array<[number, RequestInit]> = [
      [401, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      [413, { method: 'POST', body: `${fields}&x=${'y'.repeat(64)}`, headers: form }],
      [415, { method: 'POST', body: fields, headers: { ...auth, 'content-type': 'text/plain' } }],
    ];
    for (const [status, init] of cases) {
      const answer = await send(api, init);
      expect(answer.status).toBe(status);
      expect([status, problemsWith(post, 'post', answer)]).toEqual([status, []]);
    }

    const held = fetch(api, { method: 'POST', body: fields, headers: form });
    const inbound = await s.peer.nextInbound();
    const refused = await send(api, { method: 'POST', body: fields, headers: form });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(problemsWith(post, 'post', refused)).toEqual([]);
    await s.peer.reply(inbound, 'done');
    expect((await held).status).toBe(200);
  });

  it('DOCS_ENABLED=false serves no document; METRICS_ENABLED=false no metrics', async () => {
    service = await startTestService({ DOCS_ENABLED: 'false', METRICS_ENABLED: 'false' });
    for (const path of ['/docs', '/docs-json', '/metrics']) {
      expect([path, (await send(`${service.url}${path}`)).status]).toEqual([path, 404]);
    }
  });

  it('DOCS_PATH and WEB_PATH move the page and the API path in the document', async () => {
    service = await startTestService({ DOCS_PATH: 'api-docs', WEB_PATH: 'sms/in', METRICS_PATH: '/prometheus' });
    const doc = await validOpenApi(JSON.parse((await send(`${service.url}/api-docs-json`)).body));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/sms/in', '/prometheus']));
    expect((await send(`${service.url}/api-docs`)).status).toBe(200);
    expect((await send(`${service.url}/prometheus`)).status).toBe(200);
  });
});
