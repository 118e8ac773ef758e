import { Logger } from '@nestjs/common';
import { loadConfig } from '../../config/config-loader';
import { BrokerUnavailableError } from '../../broker/amqp.errors';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { InboundMessageService, InboundOutcome, InboundSender } from '../inbound/inbound-message.service';
import { completeReply } from '../../wire/reply-answer.testing';
import { HeldOutcome } from '../../reply-path/pending-requests/held-request';
import { HandOff } from '../../common/hand-off';
import { HeldAnswers } from '../inbound/held-answer';
import { IdempotencyAnswerNotKeptError, IdempotencyKeyInFlightError, IdempotencyStoreUnavailableError } from './idempotency.errors';
import { IdempotencyEvents } from './idempotency-events';
import { IdempotencyService } from './idempotency.service';
import { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { stringContaining } from '../../../test/support/matchers';

const LIMITS = { maxBytes: 1 << 20, maxBytesPerClient: 1 << 18, maxEntryBytes: 1 << 16 };

const FIELDS = Object.assign(new InboundFieldsDto(), { to_addr: '1', from_addr: '2', content: 'x', group: null, session_event: null });

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** IdempotencyService with a fake InboundMessageService (unit: the real one is exercised end to end). */
function setUp(env: Record<string, string> = {}, store: IdempotencyStore = new MemoryIdempotencyStore(100, LIMITS)) {
  const config = loadConfig({ INSTANCE_ID: 'unit', ...env });
  const answers = new HeldAnswers(config);
  /** Settles the held requests, in the order they were published. */
  const settle: Array<(outcome: HeldOutcome) => void> = [];
  let published = 0;
  const inbound = {
    accept: jest.fn<Promise<InboundOutcome>, [InboundFieldsDto, InboundSender]>(() => {
      published++;
      const messageId = `m${published}`;
      if (!config.replyExpected) return Promise.resolve({ kind: 'accepted', messageId });
      const held = new HandOff<HeldOutcome>();
      settle.push((outcome) => held.settle(outcome));
      return Promise.resolve({ kind: 'held', messageId, answer: held.map((outcome) => answers.of(outcome)) });
    }),
  };
  const events = new IdempotencyEvents();
  const service = new IdempotencyService(config, store, inbound as unknown as InboundMessageService, events);
  const send = (key?: string, caller?: string, address = '10.0.0.1') =>
    service.accept(FIELDS, {
      scope: caller ? `caller:${caller}` : `addr:${address}`,
      caller,
      helperMetadata: caller ? { http_api: { caller } } : undefined,
      idempotencyKey: key,
    });
  return { service, inbound, events, settle, send, published: () => published };
}

describe('IdempotencyService', () => {
  it('publishes without a key, naming the caller in helper_metadata', async () => {
    const { inbound, send } = setUp();
    await send(undefined, 'alice');
    await send();
    expect(inbound.accept.mock.calls[0][1].helperMetadata).toEqual({ http_api: { caller: 'alice' } });
    expect(inbound.accept.mock.calls[1][1].helperMetadata).toBeUndefined();
  });

  it('ignores the header, even a malformed one, with IDEMPOTENCY_WINDOW=0', async () => {
    const { send, published } = setUp({ IDEMPOTENCY_WINDOW: '0' });
    await send('"k"');
    await send('"k"');
    await send('"unclosed');
    expect(published()).toBe(3);
  });

  it('releases the key when publishing fails, so that the retry publishes', async () => {
    const { inbound, send, published } = setUp();
    inbound.accept.mockRejectedValueOnce(new BrokerUnavailableError('disconnected', 'x.inbound'));
    await expect(send('"k"')).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(await send('"k"')).toEqual({ kind: 'accepted', messageId: 'm1' });
    expect(published()).toBe(1);
  });

  it('keeps keys apart by caller, and tells observers of each deduplicated request', async () => {
    const { events, send, published } = setUp();
    const seen: Array<string | undefined> = [];
    events.onDeduplicated((caller) => seen.push(caller));
    await send('"k"', 'alice');
    await send('"k"', 'bob');
    expect(await send('"k"', 'alice')).toEqual({ kind: 'replayed', messageId: 'm1' });
    expect(published()).toBe(2);
    expect(seen).toEqual(['alice']);
  });

  it('keeps keys apart by client address without auth, and passes the scope on for the held-slot share', async () => {
    const { inbound, send, published } = setUp();
    await send('"k"', undefined, '10.0.0.1');
    expect(await send('"k"', undefined, '10.0.0.2')).toEqual({ kind: 'accepted', messageId: 'm2' });
    expect(await send('"k"', undefined, '10.0.0.1')).toEqual({ kind: 'replayed', messageId: 'm1' });
    expect(published()).toBe(2);
    expect(inbound.accept.mock.calls.map((c) => c[1].scope)).toEqual(['addr:10.0.0.1', 'addr:10.0.0.2']);
  });

  it('keeps only the message id of an answer over IDEMPOTENCY_MAX_ENTRY_BYTES: its repeat gets 422 and publishes nothing', async () => {
    const { settle, send, published } = setUp({ REPLY_EXPECTED: 'true', IDEMPOTENCY_MAX_ENTRY_BYTES: '1024' });
    await send('"big"');
    settle[0]({ kind: 'reply', reply: completeReply('m', 'y'.repeat(2000)) });
    await tick();
    const repeat = send('"big"');
    await expect(repeat).rejects.toBeInstanceOf(IdempotencyAnswerNotKeptError);
    await expect(repeat).rejects.toMatchObject({
      code: 'idempotency_answer_not_kept',
      messageId: 'm1',
      message: stringContaining('m1'),
    });
    expect(published()).toBe(1);
    // A small answer is kept as before.
    await send('"small"');
    settle[1]({ kind: 'reply', reply: completeReply('m', 'ok') });
    await tick();
    expect(await send('"small"')).toEqual({
      kind: 'replayed',
      messageId: 'm2',
      answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' },
    });
  });

  it('records a held request whose caller left as timed out: its repeat gets the time-out answer', async () => {
    const { settle, send, published } = setUp({ REPLY_EXPECTED: 'true', REQUEST_TIMEOUT_BODY: 'late' });
    const first = await send('"k"');
    expect(first).toMatchObject({ kind: 'held', messageId: 'm1' });
    await expect(send('"k"')).rejects.toBeInstanceOf(IdempotencyKeyInFlightError);
    settle[0]({ kind: 'gone' }); // the caller gave up before any reply
    await tick();
    expect(await send('"k"')).toEqual({
      kind: 'replayed',
      messageId: 'm1',
      answer: { status: 504, contentType: 'text/plain; charset=utf-8', body: 'late' },
    });
    expect(published()).toBe(1);
  });

  it('answers 503 (store unavailable) when the store cannot claim, and still answers when it cannot store', async () => {
    const failing: IdempotencyStore = {
      claim: () => Promise.reject(new Error('Connection is closed.')),
      complete: () => Promise.reject(new Error('Connection is closed.')),
      release: () => Promise.resolve(),
    };
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const service = setUp({}, failing);
    await expect(service.send('"k"')).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    await expect(service.send('"k"')).rejects.toBeInstanceOf(IdempotencyStoreUnavailableError);
    expect(warn).toHaveBeenCalledTimes(1); // once per 10 s, not once per refused request
    warn.mockClear();

    const store = new MemoryIdempotencyStore(10, LIMITS);
    store.complete = () => Promise.reject(new Error('Connection is closed.'));
    expect(await setUp({}, store).send('"k"')).toEqual({ kind: 'accepted', messageId: 'm1' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Storing the outcome of message m1 failed'));
    warn.mockRestore();
  });
});
