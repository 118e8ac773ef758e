import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { loadConfig } from '../config/config-loader';
import { BrokerUnavailableError } from '../amqp/amqp.errors';
import { InboundFieldsDto } from '../http-api/inbound-fields.dto';
import { InboundMessageService } from '../http-api/inbound-message.service';
import { ReplyTarget } from '../pending-requests/held-request';
import { IdempotencyAnswerNotKeptError, IdempotencyKeyInFlightError, IdempotencyStoreUnavailableError } from './idempotency.errors';
import { IdempotencyEvents } from './idempotency-events';
import { IdempotencyService } from './idempotency.service';
import { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { ClientIdentity } from '../client-identity/client-identity';

const LIMITS = { maxBytes: 1 << 20, maxBytesPerClient: 1 << 18, maxEntryBytes: 1 << 16 };

class FakeResponse extends EventEmitter {
  writableEnded = false;
  headersSent = false;
  headers: Record<string, unknown> = {};
  status?: number;
  body?: Buffer | string;
  setHeader(name: string, value: unknown) {
    this.headers[name] = value;
  }
  writeHead(status: number, headers: Record<string, unknown>) {
    this.status = status;
    Object.assign(this.headers, headers);
    this.headersSent = true;
  }
  end(body?: Buffer | string) {
    this.body = body;
    this.writableEnded = true;
    this.emit('close');
  }
}

const FIELDS = Object.assign(new InboundFieldsDto(), { to_addr: '1', from_addr: '2', content: 'x', group: null, session_event: null });

/** IdempotencyService with a fake InboundMessageService (unit: the real one is exercised end to end). */
function setUp(env: Record<string, string> = {}, store: IdempotencyStore = new MemoryIdempotencyStore(100, LIMITS)) {
  const config = loadConfig({ INSTANCE_ID: 'unit', ...env });
  const targets: ReplyTarget[] = [];
  let published = 0;
  const inbound = {
    accept: jest.fn(async (_fields: InboundFieldsDto, target: ReplyTarget, _scope: string, _metadata?: Record<string, unknown>) => {
      targets.push(target);
      published++;
      return { held: config.replyExpected, messageId: `m${published}` };
    }),
  };
  const events = new IdempotencyEvents();
  const service = new IdempotencyService(config, store, inbound as unknown as InboundMessageService, events, new ClientIdentity(config));
  const request = (key?: string, caller?: string, address = '10.0.0.1') =>
    ({
      headers: key === undefined ? {} : { 'idempotency-key': key },
      socket: { remoteAddress: address },
      ...(caller && { caller: { name: caller } }),
    }) as unknown as Request;
  const send = (key?: string, caller?: string, address?: string) => {
    const res = new FakeResponse();
    return { res, outcome: service.accept(FIELDS, request(key, caller, address), res as unknown as Response) };
  };
  return { service, inbound, events, targets, send, published: () => published };
}

describe('IdempotencyService', () => {
  it('publishes without a key, naming the caller in helper_metadata', async () => {
    const { inbound, send } = setUp();
    await send(undefined, 'alice').outcome;
    await send().outcome;
    expect(inbound.accept.mock.calls[0][3]).toEqual({ http_api: { caller: 'alice' } });
    expect(inbound.accept.mock.calls[1][3]).toBeUndefined();
  });

  it('ignores the header, even a malformed one, with IDEMPOTENCY_WINDOW=0', async () => {
    const { send, published } = setUp({ IDEMPOTENCY_WINDOW: '0' });
    await send('"k"').outcome;
    await send('"k"').outcome;
    await send('"unclosed').outcome;
    expect(published()).toBe(3);
  });

  it('releases the key when publishing fails, so that the retry publishes', async () => {
    const { inbound, send, published } = setUp();
    inbound.accept.mockRejectedValueOnce(new BrokerUnavailableError('disconnected', 'x.inbound'));
    await expect(send('"k"').outcome).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(await send('"k"').outcome).toEqual({ held: false, messageId: 'm1' });
    expect(published()).toBe(1);
  });

  it('keeps keys apart by caller, and tells observers of each deduplicated request', async () => {
    const { events, send, published } = setUp();
    const seen: Array<string | undefined> = [];
    events.onDeduplicated((caller) => seen.push(caller));
    await send('"k"', 'alice').outcome;
    await send('"k"', 'bob').outcome;
    const repeat = send('"k"', 'alice');
    expect(await repeat.outcome).toEqual({ held: false, messageId: 'm1' });
    expect(repeat.res.headers['Idempotent-Replayed']).toBe('true');
    expect(published()).toBe(2);
    expect(seen).toEqual(['alice']);
  });

  it('keeps keys apart by client address without auth, and passes the scope on for the held-slot share', async () => {
    const { inbound, send, published } = setUp();
    await send('"k"', undefined, '10.0.0.1').outcome;
    expect(await send('"k"', undefined, '10.0.0.2').outcome).toEqual({ held: false, messageId: 'm2' });
    expect(await send('"k"', undefined, '10.0.0.1').outcome).toEqual({ held: false, messageId: 'm1' });
    expect(published()).toBe(2);
    expect(inbound.accept.mock.calls.map((c) => c[2])).toEqual(['addr:10.0.0.1', 'addr:10.0.0.2']);
  });

  it('keeps only the message id of an answer over IDEMPOTENCY_MAX_ENTRY_BYTES: its repeat gets 422 and publishes nothing', async () => {
    const { targets, send, published } = setUp({ REPLY_EXPECTED: 'true', IDEMPOTENCY_MAX_ENTRY_BYTES: '1024' });
    const first = send('"big"');
    await first.outcome;
    targets[0].writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    targets[0].end('y'.repeat(2000));
    await new Promise((resolve) => setImmediate(resolve));
    const repeat = send('"big"').outcome;
    await expect(repeat).rejects.toBeInstanceOf(IdempotencyAnswerNotKeptError);
    await expect(repeat).rejects.toMatchObject({ status: 422, code: 'idempotency_answer_not_kept', message: expect.stringContaining('m1') });
    expect(published()).toBe(1);
    // A small answer is kept as before.
    const small = send('"small"');
    await small.outcome;
    targets[1].writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    targets[1].end('ok');
    await new Promise((resolve) => setImmediate(resolve));
    const again = send('"small"');
    await again.outcome;
    expect(String(again.res.body)).toBe('ok');
  });

  it('records a held request whose caller left as timed out: its repeat gets the time-out answer', async () => {
    const { targets, send, published } = setUp({ REPLY_EXPECTED: 'true', REQUEST_TIMEOUT_BODY: 'late' });
    const first = send('"k"');
    await first.outcome;
    await expect(send('"k"').outcome).rejects.toBeInstanceOf(IdempotencyKeyInFlightError);
    first.res.emit('close'); // the caller gave up before any reply
    await new Promise((resolve) => setImmediate(resolve));
    const repeat = send('"k"');
    await repeat.outcome;
    expect(repeat.res.status).toBe(504);
    expect(String(repeat.res.body)).toBe('late');
    expect(published()).toBe(1);
    expect(targets).toHaveLength(1);
  });

  it('answers 503 (store unavailable) when the store cannot claim, and still answers when it cannot store', async () => {
    const failing: IdempotencyStore = {
      claim: () => Promise.reject(new Error('Connection is closed.')),
      complete: () => Promise.reject(new Error('Connection is closed.')),
      release: () => Promise.resolve(),
    };
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const service = setUp({}, failing);
    await expect(service.send('"k"').outcome).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    await expect(service.send('"k"').outcome).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    expect(warn).toHaveBeenCalledTimes(1); // once per 10 s, not once per refused request
    warn.mockClear();

    const store = new MemoryIdempotencyStore(10, LIMITS);
    store.complete = () => Promise.reject(new Error('Connection is closed.'));
    expect(await setUp({}, store).send('"k"').outcome).toEqual({ held: false, messageId: 'm1' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Storing the outcome of message m1 failed'));
    warn.mockRestore();
  });
});
