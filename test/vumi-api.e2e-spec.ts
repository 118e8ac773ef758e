import { startTestService, TestService } from './support/test-service';

/**
 * Vumi's own HttpApiTransport test cases (vumi/transports/api/tests/test_api.py), one test each under
 * Vumi's name, against a real broker (web_path "foo", as Vumi's setUp). docs/vumi-compatibility.md maps them.
 */
describe('Vumi HttpApiTransport cases', () => {
  let service: TestService;

  afterEach(async () => {
    await service?.stop();
  });

  async function start(env: Record<string, string> = {}) {
    service = await startTestService({ WEB_PATH: 'foo', ...env });
    return service;
  }

  it("test_health: {'pending_requests': 0} (beside this service's own keys)", async () => {
    await start();
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ pending_requests: 0 });
    // Vumi's body is exactly {'pending_requests': 0}; the other keys here are additions, never renames.
    expect(Object.keys(body)[0]).toBe('pending_requests');
  });

  it('test_inbound: publishes the message and answers its id', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    const msg = await service.peer.nextInbound();
    expect(msg.transport_name).toBe(service.config.transportName);
    expect(msg.to_addr).toBe('555');
    expect(msg.from_addr).toBe('123');
    expect(msg.content).toBe('hello');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('test_handle_non_ascii_input', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'öæł' }));
    const msg = await service.peer.nextInbound();
    expect(msg.content).toBe('öæł');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('test_inbound_with_reply: the reply is the HTTP response', async () => {
    await start({ REPLY_EXPECTED: 'true' });
    const pending = fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    const msg = await service.peer.nextInbound();
    await service.peer.reply(msg, 'OK');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('OK');
  });

  it('test_good_optional_parameter: group', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello', group: '#channel' }));
    const msg = await service.peer.nextInbound();
    expect(msg.group).toBe('#channel');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('test_bad_parameter: unexpected_parameter', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello', foo: 'bar' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ unexpected_parameter: ['foo'] });
  });

  it('test_missing_parameters', async () => {
    await start();
    const response = await fetch(service.api({ content: 'hello' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ missing_parameter: ['to_addr', 'from_addr'] });
  });

  it('test_default_parameters', async () => {
    await start({ FIELD_DEFAULTS: '{"to_addr":"555"}' });
    const response = await fetch(service.api({ content: 'hello', from_addr: '123' }));
    const msg = await service.peer.nextInbound();
    expect(msg).toMatchObject({ to_addr: '555', from_addr: '123', content: 'hello' });
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('test_disallowed_default_parameters: a default applies even to a field callers may not send', async () => {
    await start({ FIELD_DEFAULTS: '{"to_addr":"555"}', ALLOWED_FIELDS: 'content,from_addr' });
    const response = await fetch(service.api({ content: 'hello', from_addr: '123' }));
    const msg = await service.peer.nextInbound();
    expect(msg).toMatchObject({ to_addr: '555', from_addr: '123', content: 'hello' });
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('test_disallowed_parameters (to_addr given a default: see docs/vumi-compatibility.md)', async () => {
    await start({ ALLOWED_FIELDS: 'content,from_addr', FIELD_DEFAULTS: '{"to_addr":"555"}' });
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ unexpected_parameter: ['to_addr'] });
  });
});
