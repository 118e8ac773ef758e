import { startTestService, TestService } from './support/test-service';

/** Vumi's own HttpApiTransport test cases (vumi/transports/api/tests/test_api.py), against a real broker. */
describe('Vumi HttpApiTransport cases', () => {
  let service: TestService;

  afterEach(async () => {
    await service?.stop();
  });

  async function start(env: Record<string, string> = {}) {
    service = await startTestService({ WEB_PATH: 'foo', ...env });
    return service;
  }

  it('health: reports pending_requests', async () => {
    await start();
    const response = await fetch(`${service.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ pending_requests: 0 });
  });

  it('inbound: publishes the message and answers its id', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    const msg = await service.peer.nextInbound();
    expect(msg.transport_name).toBe(service.config.transportName);
    expect(msg.to_addr).toBe('555');
    expect(msg.from_addr).toBe('123');
    expect(msg.content).toBe('hello');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('handles non-ASCII input', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'öæł' }));
    const msg = await service.peer.nextInbound();
    expect(msg.content).toBe('öæł');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('inbound with reply: the reply is the HTTP response', async () => {
    await start({ REPLY_EXPECTED: 'true' });
    const pending = fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    const msg = await service.peer.nextInbound();
    await service.peer.reply(msg, 'OK');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('OK');
  });

  it('good optional parameter: group', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello', group: '#channel' }));
    const msg = await service.peer.nextInbound();
    expect(msg.group).toBe('#channel');
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('bad parameter: unexpected_parameter', async () => {
    await start();
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello', foo: 'bar' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ unexpected_parameter: ['foo'] });
  });

  it('missing parameters', async () => {
    await start();
    const response = await fetch(service.api({ content: 'hello' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ missing_parameter: ['to_addr', 'from_addr'] });
  });

  it('default parameters', async () => {
    await start({ FIELD_DEFAULTS: '{"to_addr":"555"}' });
    const response = await fetch(service.api({ content: 'hello', from_addr: '123' }));
    const msg = await service.peer.nextInbound();
    expect(msg).toMatchObject({ to_addr: '555', from_addr: '123', content: 'hello' });
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('disallowed default parameters: a default applies even to a field callers may not send', async () => {
    await start({ FIELD_DEFAULTS: '{"to_addr":"555"}', ALLOWED_FIELDS: 'content,from_addr' });
    const response = await fetch(service.api({ content: 'hello', from_addr: '123' }));
    const msg = await service.peer.nextInbound();
    expect(msg).toMatchObject({ to_addr: '555', from_addr: '123', content: 'hello' });
    expect(await response.json()).toEqual({ message_id: msg.message_id });
  });

  it('disallowed parameters', async () => {
    await start({ ALLOWED_FIELDS: 'content,from_addr', FIELD_DEFAULTS: '{"to_addr":"555"}' });
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hello' }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ unexpected_parameter: ['to_addr'] });
  });
});
