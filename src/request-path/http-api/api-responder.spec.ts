import { ServerResponse } from 'node:http';
import { loadConfig } from '../../config/config-loader';
import { BrokerUnavailableError } from '../../broker/amqp.errors';
import { completeReply } from '../../wire/reply-answer.testing';
import { HeldOutcome } from '../../reply-path/pending-requests/held-request';
import { HandOff } from '../../common/hand-off';
import { HeldAnswers } from '../inbound/held-answer';
import { TooManyPendingForClientError } from '../../reply-path/pending-requests/pending-requests.errors';
import { ServiceDrainingError } from '../inbound/inbound.errors';
import { IdempotencyAnswerNotKeptError, IdempotencyKeyInFlightError, InvalidIdempotencyKeyError } from '../idempotency/idempotency.errors';
import { RateLimitedError } from '../../callers/rate-limit/rate-limit.errors';
import { ApiResponder, REPLAYED_HEADER } from './api-responder';
import { MalformedRequestError, MethodNotAllowedError, PayloadTooLargeError } from './http-api.errors';
import { stringContaining } from '../../../test/support/matchers';

/** The slice of a ServerResponse ApiResponder writes to, counting writes. */
class FakeResponse {
  headersSent = false;
  writableEnded = false;
  status?: number;
  headers: Record<string, unknown> = {};
  body?: string;
  writes = 0;
  setHeader(name: string, value: unknown) {
    this.headers[name] = value;
  }
  writeHead(status: number, headers: Record<string, unknown>) {
    this.status = status;
    Object.assign(this.headers, headers);
    this.headersSent = true;
  }
  end(body: Buffer | string) {
    this.writes++;
    this.body = body.toString();
    this.writableEnded = true;
  }
}

const config = loadConfig({ INSTANCE_ID: 'unit', REQUEST_TIMEOUT_STATUS_CODE: '418', REQUEST_TIMEOUT_BODY: 'teapot', RETRY_AFTER: '7' });
const responder = new ApiResponder(config);
const answers = new HeldAnswers(config);
const tick = () => new Promise((resolve) => setImmediate(resolve));

function answer(run: (res: ServerResponse) => void): FakeResponse {
  const res = new FakeResponse();
  run(res as unknown as ServerResponse);
  return res;
}

describe('ApiResponder', () => {
  it('answers a confirmed message with its id as JSON', () => {
    const res = answer((r) => responder.sendOutcome(r, { kind: 'accepted', messageId: 'a'.repeat(32) }));
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': 49 });
    expect(JSON.parse(res.body!)).toEqual({ message_id: 'a'.repeat(32) });
  });

  it("carries the request's id (RequestLog's req.id) in every answer's headers, set with the rest", () => {
    const withId = (run: (res: ServerResponse) => void) =>
      answer((r) => {
        Object.assign(r, {
          req: { id: 'req-7' },
          setHeader: () => {
            throw new Error('set before writeHead');
          },
        });
        run(r);
      });
    expect(withId((r) => responder.sendOutcome(r, { kind: 'accepted', messageId: 'a'.repeat(32) })).headers['X-Request-Id']).toBe('req-7');
    expect(withId((r) => responder.sendError(r, new MethodNotAllowedError('DELETE'))).headers['X-Request-Id']).toBe('req-7');
    expect(answer((r) => responder.sendError(r, new MethodNotAllowedError('DELETE'))).headers['X-Request-Id']).toBeUndefined();
  });

  it.each<[HeldOutcome, number | undefined, string | undefined]>([
    [{ kind: 'reply', reply: completeReply('m', 'héllo') }, 200, 'héllo'],
    [{ kind: 'timeout' }, 418, 'teapot'],
    [{ kind: 'shutdown' }, 418, 'teapot'],
    [{ kind: 'gone' }, undefined, undefined],
  ])('answers a held request inside the call that settles its outcome: %j', async (outcome, status, body) => {
    const held = new HandOff<HeldOutcome>();
    const res = answer((r) => responder.sendOutcome(r, { kind: 'held', messageId: 'm', answer: held.map((o) => answers.of(o)) }));
    await tick();
    expect(res.writes).toBe(0); // nothing before the outcome
    held.settle(outcome); // no tick: written before settle returns (ReplyDispatcher acks after it)
    expect(res.status).toBe(status);
    expect(res.body).toBe(body);
    expect(res.writes).toBe(status === undefined ? 0 : 1);
    if (status !== undefined) {
      expect(res.headers).toMatchObject({
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(body!),
        Vary: 'Accept', // the answer is negotiated, the text one too
      });
    }
  });

  it('writes the JSON representation of a held answer as HeldAnswers made it, with Vary: Accept', () => {
    const held = new HandOff<HeldOutcome>();
    const res = answer((r) => responder.sendOutcome(r, { kind: 'held', messageId: 'm', answer: held.map((o) => answers.of(o, 'json')) }));
    held.settle({ kind: 'reply', reply: completeReply('m', 'héllo', { session_event: 'close' }) });
    expect(res.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', Vary: 'Accept' });
    expect(res.headers['Content-Length']).toBe(Buffer.byteLength(res.body!));
    expect(JSON.parse(res.body!)).toMatchObject({ content: 'héllo', session_event: 'close', in_reply_to: 'm' });
  });

  it('answers a replay with the first answer, or the first message id, marked Idempotent-Replayed', () => {
    const first = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'again' };
    const reply = answer((r) => responder.sendOutcome(r, { kind: 'replayed', messageId: 'm', answer: first }));
    expect([reply.status, reply.body, reply.headers[REPLAYED_HEADER], reply.headers.Vary]).toEqual([200, 'again', 'true', 'Accept']);
    const id = answer((r) => responder.sendOutcome(r, { kind: 'replayed', messageId: 'b'.repeat(32) }));
    expect([id.status, JSON.parse(id.body!), id.headers[REPLAYED_HEADER]]).toEqual([200, { message_id: 'b'.repeat(32) }, 'true']);
  });

  it('writes at most once: an answered response is left alone', () => {
    const res = answer((r) => {
      responder.sendOutcome(r, { kind: 'accepted', messageId: 'c'.repeat(32) });
      responder.sendError(r, new PayloadTooLargeError(10));
    });
    expect([res.status, res.writes]).toEqual([200, 1]);
  });

  it.each<[Error, number, string, Record<string, unknown>]>([
    [new MalformedRequestError('invalid_json', 'bad'), 400, 'invalid_json', {}],
    [new InvalidIdempotencyKeyError('is empty'), 400, 'invalid_idempotency_key', {}],
    [new PayloadTooLargeError(10), 413, 'payload_too_large', {}],
    [new MethodNotAllowedError('DELETE'), 405, 'method_not_allowed', { Allow: 'GET, POST, PUT' }],
    [new BrokerUnavailableError('timeout', 'x.inbound'), 503, 'broker_unavailable', { 'Retry-After': '7' }],
    [new TooManyPendingForClientError(2), 503, 'overloaded', { 'Retry-After': '7' }],
    [new ServiceDrainingError(), 503, 'shutting_down', { 'Retry-After': '7' }],
    [new IdempotencyKeyInFlightError(), 409, 'idempotency_key_in_flight', { 'Retry-After': '1' }],
    [new IdempotencyAnswerNotKeptError('m1', 2000, 1024), 422, 'idempotency_answer_not_kept', {}],
    [
      new RateLimitedError('addr:x', { allowed: false, policy: { rate: 1, burst: 1 }, remaining: 0, retryAfter: 3, reset: 3 }),
      429,
      'rate_limited',
      { 'Retry-After': '3' },
    ],
  ])('answers %s with its status and its own code', (error, status, code, headers) => {
    const res = answer((r) => responder.sendError(r, error));
    expect(res.status).toBe(status);
    // 503s say what to do (retry later) rather than repeat the internal message.
    expect(JSON.parse(res.body!)).toEqual({ error: code, message: status === 503 ? stringContaining('retry') : error.message });
    expect(res.headers).toMatchObject(headers);
    expect((error as Error & { code: string }).code).toBe(code);
  });
});
