import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { buildReply } from '../src/wire/vumi-application';
import { JsonObject } from '../src/wire/vumi-message';
import { VumiOutboundServer } from '../src/reply-path/outbound/vumi-outbound.server';
import { CapturingLogger } from './support/capturing-logger';
import { delay, health, sendHeld, waitUntil } from './support/held-requests';
import { startTestService, TestService } from './support/test-service';
import { anyNumber, stringMatching } from './support/matchers';

const VUMI_ID = /^[0-9a-f]{32}$/;
const VUMI_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;

/** Reply mode (issue 3) on a real broker and a real port: replies, acks, nacks, time-outs, statuses, health. */
describe('reply mode', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  async function start(env: Record<string, string> = {}, logger?: CapturingLogger): Promise<TestService> {
    service = await startTestService({ REPLY_EXPECTED: 'true', ...env }, logger);
    return service;
  }

  /** A complete reply to a request nobody holds (no transport_metadata: no holder to forward to). */
  function strayReply(overrides: JsonObject = {}): JsonObject {
    return { ...buildReply({ message_id: 'f'.repeat(32), to_addr: '555', from_addr: '123' }, 'stray'), ...overrides };
  }

  describe('events', () => {
    it('acks a delivered reply: user and sent message ids are the reply id, every common field present', async () => {
      const s = await start();
      const call = await sendHeld(s, { to_addr: '555-ack' });
      const reply = await s.peer.reply(call.inbound, 'Thanks, ünïcode');
      const response = await call.response;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toBe('Thanks, ünïcode');

      const event = await s.peer.nextEvent();
      expect(event).toEqual({
        message_version: '20110921',
        message_type: 'event',
        timestamp: stringMatching(VUMI_TIMESTAMP),
        event_id: stringMatching(VUMI_ID),
        event_type: 'ack',
        user_message_id: reply.message_id,
        sent_message_id: reply.message_id,
        transport_name: s.config.transportName,
        transport_metadata: {},
        helper_metadata: {},
        routing_metadata: {},
      });
      expect(event.event_id).not.toBe(reply.message_id);
    });

    it.each([
      ['no in_reply_to', { in_reply_to: undefined }, 'Missing fields: in_reply_to'],
      ['a null in_reply_to', { in_reply_to: null }, 'Missing fields: in_reply_to'],
      ['an empty in_reply_to', { in_reply_to: '' }, 'Missing fields: in_reply_to'],
      ['no content', { content: undefined }, 'Missing fields: content'],
      ['an empty content', { content: '' }, 'Missing fields: content'],
      ['neither', { in_reply_to: null, content: null }, 'Missing fields: in_reply_to, content'],
    ])("nacks an outbound message with %s; sent_message_id is its id (Vumi's test_nack)", async (_what, overrides, reason) => {
      const s = await start();
      const message = JSON.parse(JSON.stringify(strayReply(overrides))) as JsonObject;
      await s.peer.publishOutbound(message);
      expect(await s.peer.nextEvent()).toMatchObject({
        event_type: 'nack',
        user_message_id: message.message_id,
        sent_message_id: message.message_id,
        nack_reason: reason,
        event_id: stringMatching(VUMI_ID),
      });
    });

    it('nacks a reply whose in_reply_to matches no held request (as vumi2), sent_message_id its id', async () => {
      const s = await start();
      const reply = strayReply();
      await s.peer.publishOutbound(reply);
      expect(await s.peer.nextEvent()).toMatchObject({
        event_type: 'nack',
        user_message_id: reply.message_id,
        sent_message_id: reply.message_id,
        nack_reason: 'No matching request',
      });
    });

    it('with reply_expected off, nacks every outbound message saying replies are not expected', async () => {
      const s = await start({ REPLY_EXPECTED: 'false' });
      const response = await fetch(s.api({ to_addr: '555', from_addr: '123', content: 'hi' }));
      expect(response.status).toBe(200);
      const reply = await s.peer.reply(await s.peer.nextInbound(), 'late');
      const event = await s.peer.nextEvent();
      expect(event).toMatchObject({ event_type: 'nack', user_message_id: reply.message_id });
      expect(event.nack_reason).toMatch(/not expected/i);
    });
  });

  describe('time-outs', () => {
    it("answers a held request with the configured status and body within timeout + cleanup interval (Vumi's test_timeout)", async () => {
      const logger = new CapturingLogger();
      const s = await start(
        {
          REQUEST_TIMEOUT: '1',
          REQUEST_CLEANUP_INTERVAL: '1',
          REQUEST_TIMEOUT_STATUS_CODE: '418',
          REQUEST_TIMEOUT_BODY: 'I am a teapot',
        },
        logger,
      );
      const started = performance.now();
      const call = await sendHeld(s, { to_addr: '555-teapot' });
      const response = await call.response;
      const elapsed = performance.now() - started;
      expect(response.status).toBe(418);
      expect(await response.text()).toBe('I am a teapot');
      // A correctness deadline: request_timeout (1 s) + request_cleanup_interval (1 s) + a margin
      // for the HTTP and broker legs and timer lag on a busy machine.
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      expect(elapsed).toBeLessThan(1000 + 1000 + 1500);
      const logged = await logger.waitFor('Timing out 555-teapot');
      expect(logged.level).toBe('warn');
      expect(logged.fields).toMatchObject({ message_id: call.inbound.message_id });
      expect((await health(s)).body.pending_requests).toBe(0);
    });

    it('a reply after the time-out is nacked: the request already left', async () => {
      const s = await start({ REQUEST_TIMEOUT: '1', REQUEST_CLEANUP_INTERVAL: '1' });
      const call = await sendHeld(s, { to_addr: '555-late' });
      expect((await call.response).status).toBe(504);
      const reply = await s.peer.reply(call.inbound, 'too late');
      expect(await s.peer.nextEvent()).toMatchObject({
        event_type: 'nack',
        user_message_id: reply.message_id,
        nack_reason: 'No matching request',
      });
    });

    it('with request_cleanup_interval 0, a held request waits past request_timeout for its reply', async () => {
      const s = await start({ REQUEST_TIMEOUT: '1', REQUEST_CLEANUP_INTERVAL: '0' });
      const call = await sendHeld(s, { to_addr: '555-forever' });
      // Proving an absence takes waiting: request_timeout + 1 s.
      await delay(2000);
      expect(call.answered()).toBe(false);
      expect((await health(s)).body.pending_requests).toBe(1);
      await s.peer.reply(call.inbound, 'finally');
      const response = await call.response;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('finally');
    });
  });

  describe('status messages', () => {
    it('publishes edges only: degraded, ok, down/timeout, ok; repeats are skipped', async () => {
      const s = await start({
        PUBLISH_STATUS: 'true',
        RESPONSE_TIME_DEGRADED: '0.2',
        REQUEST_TIMEOUT: '1',
        REQUEST_CLEANUP_INTERVAL: '1',
      });
      const answer = async (content: string, afterMs = 0) => {
        const call = await sendHeld(s, { to_addr: '555-status' });
        if (afterMs > 0) await delay(afterMs); // the application is slow on purpose
        await s.peer.reply(call.inbound, content);
        expect((await call.response).status).toBe(200);
      };
      const timeOut = async () => {
        const call = await sendHeld(s, { to_addr: '555-status' });
        expect((await call.response).status).toBe(504);
      };

      await answer('slow', 400);
      const degraded = await s.peer.nextStatus();
      expect(degraded).toEqual({
        message_version: '20110921',
        message_type: 'status_event',
        timestamp: stringMatching(VUMI_TIMESTAMP),
        component: 'response',
        status: 'degraded',
        type: 'slow_response',
        message: 'Slow response',
        reasons: ['Response took longer than 0.2s'],
        details: { response_time: anyNumber() },
        helper_metadata: {},
        routing_metadata: {},
      });
      expect((degraded.details as JsonObject).response_time).toBeGreaterThan(0.2);

      await answer('slow again', 400); // a repeat: not published
      await answer('fast');
      expect(await s.peer.nextStatus()).toMatchObject({
        status: 'ok',
        type: 'response_sent',
        message: 'Response sent',
        reasons: [],
        details: { response_time: anyNumber() },
      });

      await answer('fast again'); // a repeat: not published
      await timeOut();
      const down = await s.peer.nextStatus();
      expect(down).toMatchObject({
        status: 'down',
        type: 'timeout',
        message: 'Response timed out',
        reasons: ['Response took longer than 1s'],
      });
      expect((down.details as JsonObject).response_time).toBeGreaterThanOrEqual(1);

      await timeOut(); // a repeat: not published
      await answer('fast after the outage');
      // The next status is this ok: the repeats in between were skipped.
      expect(await s.peer.nextStatus()).toMatchObject({ status: 'ok', type: 'response_sent' });
      expect(await s.peer.depth(s.peer.keys.status)).toBe(0);
    });
  });

  describe('health', () => {
    it('counts held requests, and back to 0 once they are answered', async () => {
      const s = await start();
      const calls = [];
      for (let i = 0; i < 3; i++) calls.push(await sendHeld(s, { to_addr: `555-${i}` }));
      expect((await health(s)).body.pending_requests).toBe(3);
      for (const call of calls) await s.peer.reply(call.inbound, 'ok');
      await Promise.all(calls.map(async (call) => expect((await call.response).status).toBe(200)));
      expect((await health(s)).body.pending_requests).toBe(0);
    });

    it("shows the response class; degraded and down are both still 200 (Vumi's health is always 200)", async () => {
      const s = await start({ RESPONSE_TIME_DEGRADED: '0.2', REQUEST_TIMEOUT: '1', REQUEST_CLEANUP_INTERVAL: '1' });
      const slow = await sendHeld(s, { to_addr: '555-slow' });
      await delay(400); // the application is slow on purpose
      await s.peer.reply(slow.inbound, 'slow');
      expect((await slow.response).status).toBe(200);
      const degraded = await health(s);
      expect(degraded.status).toBe(200);
      expect(degraded.body).toMatchObject({ details: { response: { status: 'up', state: 'degraded' } } });

      const lost = await sendHeld(s, { to_addr: '555-lost' });
      expect((await lost.response).status).toBe(504);
      const down = await health(s);
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({
        pending_requests: 0,
        details: { response: { status: 'up', state: 'down', type: 'timeout', counts: { degraded: 1, timeout: 1 } } },
      });
    });
  });

  describe('client disconnects', () => {
    async function expectFreedThenNacked(s: TestService, call: { inbound: JsonObject }) {
      // Freed at once: far sooner than request_timeout (60 s here).
      await waitUntil('freed', async () => (await health(s)).body.pending_requests === 0, 5000);
      const reply = await s.peer.reply(call.inbound, 'nobody listens');
      expect(await s.peer.nextEvent()).toMatchObject({
        event_type: 'nack',
        user_message_id: reply.message_id,
        nack_reason: 'No matching request',
      });
    }

    it('an aborted fetch frees its held request; a later reply is nacked', async () => {
      const s = await start({ REQUEST_TIMEOUT: '60' });
      const abort = new AbortController();
      const call = await sendHeld(s, { to_addr: '555-abort' }, abort.signal);
      expect((await health(s)).body.pending_requests).toBe(1);
      abort.abort();
      await expect(call.response).rejects.toThrow();
      await expectFreedThenNacked(s, call);
    });

    it('a destroyed raw HTTP request frees its held request; a later reply is nacked', async () => {
      const s = await start({ REQUEST_TIMEOUT: '60' });
      const request = httpRequest(s.api({ to_addr: '555-raw', from_addr: '123', content: 'hi' }));
      request.on('error', () => undefined); // destroyed on purpose
      request.end();
      const inbound = await s.peer.nextInbound();
      expect((await health(s)).body.pending_requests).toBe(1);
      request.destroy();
      await expectFreedThenNacked(s, { inbound });
    });
  });

  describe('poison on the outbound queue', () => {
    it('drops what is not a Vumi message without stopping the next good reply', async () => {
      const s = await start();
      const consumer = s.app.get(VumiOutboundServer);
      const call = await sendHeld(s, { to_addr: '555-poison' });
      await s.peer.publishOutbound('this is not JSON');
      await s.peer.publishOutbound('[1, 2, 3]');
      await s.peer.publishOutbound('{"content": "no message_id", "in_reply_to": "x"}');
      const reply = await s.peer.reply(call.inbound, 'still here');
      const response = await call.response;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('still here');
      // Only the good reply produced an event: the poison had no id to nack.
      expect(await s.peer.nextEvent()).toMatchObject({ event_type: 'ack', user_message_id: reply.message_id });
      expect(consumer.malformed).toBe(3);
      expect(await s.peer.depth(s.peer.keys.outbound)).toBe(0);

      // Another round trip: the poison was not requeued to loop back.
      const second = await sendHeld(s, { to_addr: '555-poison' });
      await s.peer.reply(second.inbound, 'again');
      expect(await (await second.response).text()).toBe('again');
      expect(consumer.malformed).toBe(3);
      expect(await s.peer.depth(s.peer.keys.outbound)).toBe(0);
    });
  });

  describe('shutdown', () => {
    it('answers what is held and is not held up by a connection that never sends a request', async () => {
      const s = await start({ SHUTDOWN_TIMEOUT: '0' });
      const call = await sendHeld(s, { to_addr: '555-shutdown' });
      const silent = tcpConnect(s.port, '127.0.0.1');
      silent.on('error', () => undefined);
      await new Promise((resolve) => silent.once('connect', resolve));
      try {
        // Before the fix, server.close() waited for this socket for as long as the client kept it.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('stop() held up')), 10_000)));
        await Promise.race([s.stop(), deadline]).finally(() => clearTimeout(timer));
        service = undefined;
        expect((await call.response).status).toBe(504);
      } finally {
        silent.destroy();
      }
    });
  });
});
