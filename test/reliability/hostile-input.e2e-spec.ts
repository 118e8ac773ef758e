import { Answer, call, callFailure, RawClient } from '../support/http-call';
import { AMQP_URL, ServiceProcess } from '../support/service-process';
import { VumiPeer } from '../support/vumi-peer';

/**
 * Hostile and broken HTTP input, against the service as a child process:
 * each case gets a clear 4xx, nothing is published for it, the process stays
 * up, and after thousands of such requests its memory has not grown.
 */

const BODY_LIMIT = 128 * 1024;
const AUTH = `Basic ${Buffer.from('user:secret').toString('base64')}`;
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: AUTH };
const JSON_TYPE = { 'Content-Type': 'application/json', Authorization: AUTH };

/** One hostile request and the answer it must get. */
interface Case {
  name: string;
  send(service: ServiceProcess): Promise<Answer>;
  status: number;
  error?: string;
}

const valid = { to_addr: '555', from_addr: '123' };
const post = (service: ServiceProcess, body: string | Buffer, headers: Record<string, string>) =>
  call(service.api(), { method: 'POST', headers, body: typeof body === 'string' ? body : Uint8Array.from(body) });

const CASES: Case[] = [
  { name: 'a 1 MB form body', status: 413, error: 'payload_too_large', send: (s) => post(s, 'a'.repeat(1 << 20), FORM) },
  {
    name: '1001 query parameters (MAX_PARAMETERS is 1000, inclusive)',
    status: 400,
    error: 'too_many_parameters',
    send: (s) => call(`${s.api()}${Array.from({ length: 1001 }, (_, n) => `p${n}=x`).join('&')}`, { headers: { Authorization: AUTH } }),
  },
  {
    // Past Node's 16 kB limit on the request head: refused before the API sees it.
    name: '10,000 query parameters',
    status: 431,
    error: 'headers_too_large',
    send: (s) => call(`${s.api()}${Array.from({ length: 10_000 }, (_, n) => `p${n}=x`).join('&')}`, { headers: { Authorization: AUTH } }),
  },
  {
    name: '10,000 form parameters',
    status: 400,
    error: 'too_many_parameters',
    send: (s) => post(s, Array.from({ length: 10_000 }, (_, n) => `p${n}=x`).join('&'), FORM),
  },
  {
    name: '10,000 JSON members',
    status: 400,
    error: 'too_many_parameters',
    send: (s) => post(s, `{${Array.from({ length: 10_000 }, (_, n) => `"${n}":""`).join(',')}}`, JSON_TYPE),
  },
  {
    name: 'invalid UTF-8 percent-encoded in the query',
    status: 400,
    error: 'invalid_utf8',
    send: (s) => call(`${s.api(valid)}&content=%C3%28`, { headers: { Authorization: AUTH } }),
  },
  {
    name: 'a malformed percent escape in the query',
    status: 400,
    error: 'invalid_utf8',
    send: (s) => call(`${s.api(valid)}&content=%E2%82`, { headers: { Authorization: AUTH } }),
  },
  {
    name: 'invalid UTF-8 bytes in a form body',
    status: 400,
    error: 'invalid_utf8',
    send: (s) => post(s, Buffer.concat([Buffer.from('to_addr=1&from_addr=2&content='), Buffer.from([0xc3, 0x28, 0xff])]), FORM),
  },
  {
    name: 'invalid UTF-8 bytes in a JSON body',
    status: 400,
    error: 'invalid_utf8',
    send: (s) => post(s, Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), JSON_TYPE),
  },
  { name: 'malformed JSON', status: 400, error: 'invalid_json', send: (s) => post(s, '{"content": "x",', JSON_TYPE) },
  { name: 'a JSON array', status: 400, error: 'invalid_json', send: (s) => post(s, '["to_addr", "555"]', JSON_TYPE) },
  { name: 'a JSON string', status: 400, error: 'invalid_json', send: (s) => post(s, '"to_addr=555"', JSON_TYPE) },
  { name: 'JSON null', status: 400, error: 'invalid_json', send: (s) => post(s, 'null', JSON_TYPE) },
  {
    name: 'a number where a string belongs',
    status: 400,
    error: 'invalid_json',
    send: (s) => post(s, JSON.stringify({ ...valid, content: 5 }), JSON_TYPE),
  },
  {
    name: 'an object where a string belongs',
    status: 400,
    error: 'invalid_json',
    send: (s) => post(s, JSON.stringify({ ...valid, content: { $gt: '' } }), JSON_TYPE),
  },
  {
    name: 'a __proto__ member',
    status: 400,
    send: (s) => post(s, `{"__proto__": {"content": "x"}, "to_addr": "1", "from_addr": "2"}`, JSON_TYPE),
  },
  {
    name: 'CR/LF in a parameter name (reflected in the 400 body only)',
    status: 400,
    send: (s) => call(`${s.api(valid)}&${encodeURIComponent('a\r\nSet-Cookie: x=y')}=1`, { headers: { Authorization: AUTH } }),
  },
  {
    name: 'an unsupported media type',
    status: 415,
    send: (s) => post(s, 'content=x', { 'Content-Type': 'text/plain', Authorization: AUTH }),
  },
  { name: 'no Authorization', status: 401, send: (s) => call(s.api(valid)) },
  {
    name: 'a wrong password',
    status: 401,
    send: (s) => call(s.api(valid), { headers: { Authorization: `Basic ${Buffer.from('user:wrong').toString('base64')}` } }),
  },
  {
    name: 'a wrong user',
    status: 401,
    send: (s) => call(s.api(valid), { headers: { Authorization: `Basic ${Buffer.from('root:secret').toString('base64')}` } }),
  },
  { name: 'another scheme', status: 401, send: (s) => call(s.api(valid), { headers: { Authorization: 'Bearer secret' } }) },
  { name: 'Basic with garbage', status: 401, send: (s) => call(s.api(valid), { headers: { Authorization: 'Basic %%%###' } }) },
  {
    name: 'Basic without a colon',
    status: 401,
    send: (s) => call(s.api(valid), { headers: { Authorization: `Basic ${Buffer.from('usersecret').toString('base64')}` } }),
  },
  {
    name: 'an 8 kB Authorization',
    status: 401,
    send: (s) => call(s.api(valid), { headers: { Authorization: `Basic ${'A'.repeat(8192)}` } }),
  },
];

describe('hostile input', () => {
  let service: ServiceProcess;
  let peer: VumiPeer;

  beforeAll(async () => {
    // The failure throttles are off here: this suite is about what bad input costs, each refused with its own
    // 4xx; password floods and their 429s have a suite of their own (test/auth-flood.e2e-spec.ts).
    service = await ServiceProcess.start({
      WEB_USERNAME: 'user',
      WEB_PASSWORD: 'secret',
      BODY_LIMIT: String(BODY_LIMIT),
      AUTH_FAILURE_RATE: '0',
      AUTH_NAME_FAILURE_RATE: '0',
    });
    peer = await VumiPeer.connect(AMQP_URL, service.transportName);
  });

  afterAll(async () => {
    const exit = await service?.stop();
    await peer?.destroy();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('answers %s with a clear 4xx and publishes nothing', async (_, hostile) => {
    const answer = await hostile.send(service);
    expect(answer.status).toBe(hostile.status);
    if (hostile.error) expect(JSON.parse(answer.body)).toMatchObject({ error: hostile.error });
    if (answer.status === 401) {
      expect(answer.body).toBe('Unauthorized');
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Vumi HTTP RPC transport"');
    }
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(await peer.depth(peer.keys.inbound)).toBe(0);
    expect(service.hasExited).toBe(false);
  });

  it('answers raw non-UTF-8 bytes in the request target with 400', async () => {
    const client = await RawClient.open(service.url);
    const target = Buffer.concat([Buffer.from(`${service.config.webPath}?to_addr=1&from_addr=2&content=`), Buffer.from([0xff, 0xc3])]);
    client.write(Buffer.concat([Buffer.from('GET '), target, Buffer.from(` HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`)]));
    await client.waitClosed(5_000).catch(() => client.destroy());
    expect(client.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(await peer.depth(peer.keys.inbound)).toBe(0);
  });

  it('accepts a 60 kB field value within BODY_LIMIT and publishes it intact', async () => {
    const content = Array.from({ length: 25_000 }, (_, n) => ['a', 'é', '€', '😀'][n % 4]).join('');
    expect(Buffer.byteLength(content)).toBeGreaterThan(60_000);
    const answer = await post(service, JSON.stringify({ ...valid, content }), JSON_TYPE);
    expect(answer.status).toBe(200);
    const inbound = await peer.nextInbound();
    expect(inbound.message_id).toBe((JSON.parse(answer.body) as { message_id: string }).message_id);
    expect(inbound.content).toBe(content);
  });

  it('keeps its memory flat through 5,000 hostile requests, and still serves', async () => {
    const light = CASES.filter((c) => !/1 MB|10,000/.test(c.name));
    const heavy = CASES.filter((c) => /1 MB|10,000/.test(c.name));
    const rss: number[] = [];
    const run = async (count: number) => {
      let next = 0;
      const worker = async () => {
        for (let n = next++; n < count; n = next++) {
          if (n % 250 === 0) rss.push(service.rss());
          const hostile = n % 50 === 0 ? heavy[(n / 50) % heavy.length] : light[n % light.length];
          const answer = await hostile.send(service).catch((error) => {
            throw new Error(`${hostile.name}: ${callFailure(error)}`);
          });
          if (answer.status !== hostile.status) throw new Error(`${hostile.name}: ${answer.status} ${answer.body}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
    };
    await run(500); // warm-up: JIT, pools and caches reach their working size
    rss.length = 0;
    await run(5_000);
    rss.push(service.rss());
    // Garbage makes RSS a saw-tooth until the next GC; a leak raises its troughs. Compare troughs.
    const trough = (samples: number[]) => Math.min(...samples);
    const growth = trough(rss.slice(-5)) - trough(rss.slice(0, 5));
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    process.stdout.write(
      `hostile input figures: 5000 requests, RSS trough ${mb(trough(rss.slice(0, 5)))} MB -> ${mb(trough(rss.slice(-5)))} MB ` +
        `(samples ${mb(Math.min(...rss))}..${mb(Math.max(...rss))} MB)\n`,
    );
    expect(growth).toBeLessThan(50 * 1024 * 1024);

    const ok = await call(service.api({ ...valid, content: 'still here' }), { headers: { Authorization: AUTH } });
    expect(ok.status).toBe(200);
    expect((await peer.nextInbound()).content).toBe('still here');
    expect(await peer.depth(peer.keys.inbound)).toBe(0);
  });
});
