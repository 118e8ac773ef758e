import { Logger } from '@nestjs/common';
import { HandOff } from '../../common/hand-off';
import { loadConfig } from '../../config/config-loader';
import { completeReply } from '../../wire/reply-answer.testing';
import { ClientWatch, FinishedRequest, HeldOutcome, HeldRequest } from './held-request';
import { TooManyPendingForClientError, TooManyPendingRequestsError } from './pending-requests.errors';
import { PendingRequestsService } from './pending-requests.service';

/** A caller's connection as the HTTP layer reports it: gone once, watched by at most one listener. */
class FakeClient implements ClientWatch {
  listeners: Array<() => void> = [];
  watch(onGone: () => void): void {
    this.listeners.push(onGone);
  }
  unwatch(onGone: () => void): void {
    this.listeners = this.listeners.filter((listener) => listener !== onGone);
  }
  /** The caller goes away before an answer. */
  disconnect(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Records what a hold() hand-off settled with, once it has (at once). */
function track(outcome: HandOff<HeldOutcome>): { settled: HeldOutcome[] } {
  const seen = { settled: [] as HeldOutcome[] };
  outcome.onSettled((value) => seen.settled.push(value));
  return seen;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

const TIMEOUT_S = 10;

describe('PendingRequestsService', () => {
  let clock: number;
  let finished: FinishedRequest[];

  beforeEach(() => {
    clock = 1_000;
    jest.spyOn(performance, 'now').mockImplementation(() => clock);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    finished = [];
  });

  afterEach(() => jest.restoreAllMocks());

  function create(env: Record<string, string> = {}): PendingRequestsService {
    const config = loadConfig({
      TRANSPORT_NAME: 'unit',
      REQUEST_TIMEOUT: String(TIMEOUT_S),
      REQUEST_TIMEOUT_STATUS_CODE: '418',
      REQUEST_TIMEOUT_BODY: 'I am a teapot',
      ...env,
    });
    const service = new PendingRequestsService(config);
    service.onFinish((request) => finished.push(request));
    return service;
  }

  /** Counts the held requests a sweep looks at, through the Map's own iterator. */
  function countVisits(service: PendingRequestsService): () => number {
    const held = (service as unknown as { held: Map<string, HeldRequest> }).held;
    let visits = 0;
    const values = held.values.bind(held);
    jest.spyOn(held, 'values').mockImplementation(() => {
      const inner = values();
      const counting = {
        next: () => {
          const step = inner.next();
          if (!step.done) visits++;
          return step;
        },
        [Symbol.iterator]: () => counting,
      };
      // The sweep uses next() only; the rest of MapIterator (dispose, helpers) is not called.
      return counting as unknown as MapIterator<HeldRequest>;
    });
    return () => visits;
  }

  it('a sweep with 100,000 held and none expired looks at the oldest only', () => {
    const service = create({ MAX_PENDING_REQUESTS: '200000', MAX_PENDING_PER_CLIENT: '200000' });
    for (let i = 0; i < 100_000; i++) {
      void service.hold(`id-${i}`, '555', 'addr:a', new FakeClient());
      clock += 0.01;
    }
    const visits = countVisits(service);
    expect(service.sweep(clock + TIMEOUT_S * 1000 - 2_000)).toBe(0);
    expect(visits()).toBe(1);
    expect(service.size).toBe(100_000);
  });

  it('a sweep visits what expires plus one: its cost follows the expired, not the held', () => {
    const service = create({ MAX_PENDING_REQUESTS: '200000', MAX_PENDING_PER_CLIENT: '200000' });
    const start = clock;
    for (let i = 0; i < 100_000; i++) {
      void service.hold(`id-${i}`, '555', 'addr:a', new FakeClient());
      clock += 1; // one per ms
    }
    const visits = countVisits(service);
    // Requests held at start .. start+49 have waited TIMEOUT_S by now.
    expect(service.sweep(start + TIMEOUT_S * 1000 + 49)).toBe(50);
    expect(visits()).toBe(51);
    expect(service.size).toBe(100_000 - 50);
  });

  it('times requests out oldest first, settling each with timeout and its status for observers', async () => {
    const service = create();
    const held = ['a', 'b', 'c'].map((id) => {
      const seen = track(service.hold(id, `to-${id}`, 'addr:a', new FakeClient(), 'req-1'));
      clock += 1_000;
      return seen;
    });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the spy set in beforeEach, read for its calls, never called
    const warn = jest.mocked(Logger.prototype.warn);
    clock = 1_000 + TIMEOUT_S * 1000;
    expect(service.sweep(clock)).toBe(1); // a only: it waited exactly request_timeout
    await tick();
    expect(held.map((h) => h.settled)).toEqual([[{ kind: 'timeout' }], [], []]);
    // Vumi's wording, as a structured line that also names the message and its request.
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ msg: 'Timing out to-a', message_id: 'a', request_id: 'req-1' }));
    clock = 3_000 + TIMEOUT_S * 1000;
    expect(service.sweep(clock)).toBe(2);
    await tick();
    expect(held.map((h) => h.settled)).toEqual([[{ kind: 'timeout' }], [{ kind: 'timeout' }], [{ kind: 'timeout' }]]);
    expect(finished.map((f) => [f.reason, f.status])).toEqual([
      ['timeout', 418],
      ['timeout', 418],
      ['timeout', 418],
    ]);
    expect(finished.map((f) => f.seconds)).toEqual([TIMEOUT_S, TIMEOUT_S + 1, TIMEOUT_S]);
    expect(service.size).toBe(0);
  });

  describe('every way out is taken exactly once, and settles the outcome once', () => {
    async function afterwards(service: PendingRequestsService, id: string, client: FakeClient, seen: { settled: HeldOutcome[] }) {
      client.disconnect();
      expect(service.finishWithReply(completeReply(id, 'again'))).toBe(false);
      expect(service.sweep(clock + TIMEOUT_S * 1000 * 2)).toBe(0);
      service.abandon(id);
      await tick();
      expect(service.size).toBe(0);
      expect(service.has(id)).toBe(false);
      expect(seen.settled.length).toBeLessThanOrEqual(1);
      expect(client.listeners).toHaveLength(0); // nothing left watching the connection
    }

    it('reply', async () => {
      const service = create();
      const client = new FakeClient();
      const seen = track(service.hold('r', '555', 'addr:a', client));
      clock += 250;
      expect(service.finishWithReply(completeReply('r', 'héllo'))).toBe(true);
      await afterwards(service, 'r', client, seen);
      expect(seen.settled).toEqual([{ kind: 'reply', reply: completeReply('r', 'héllo') }]);
      expect(service.disconnects).toBe(0);
      expect(finished).toEqual([{ reason: 'reply', seconds: 0.25, status: 200 }]);
    });

    it('disconnect', async () => {
      const service = create();
      const client = new FakeClient();
      const seen = track(service.hold('d', '555', 'addr:a', client));
      client.disconnect();
      expect(service.disconnects).toBe(1);
      await afterwards(service, 'd', client, seen);
      expect(service.disconnects).toBe(1);
      expect(seen.settled).toEqual([{ kind: 'gone' }]);
      expect(finished).toEqual([]);
    });

    it('release (the publish failed; the caller gets a 503 elsewhere)', async () => {
      const service = create();
      const client = new FakeClient();
      const seen = track(service.hold('x', '555', 'addr:a', client));
      service.release('x');
      expect(client.listeners).toHaveLength(0);
      await afterwards(service, 'x', client, seen);
      expect(service.disconnects).toBe(0);
      expect(seen.settled).toEqual([]);
      expect(finished).toEqual([]);
    });

    it('drain (shutdown)', async () => {
      const service = create();
      const clients = [new FakeClient(), new FakeClient()];
      const seen = clients.map((client, i) => track(service.hold(`s${i}`, '555', 'addr:a', client)));
      expect(await service.drain(0)).toBe(2);
      for (const [i, client] of clients.entries()) await afterwards(service, `s${i}`, client, seen[i]);
      expect(seen.map((s) => s.settled)).toEqual([[{ kind: 'shutdown' }], [{ kind: 'shutdown' }]]);
      expect(finished.map((f) => [f.reason, f.status])).toEqual([
        ['shutdown', 418],
        ['shutdown', 418],
      ]);
      expect(service.disconnects).toBe(0);
    });
  });

  it('writes no HTTP: a held request keeps no response, only its id, address, scope, client watch, request id and outcome', () => {
    const service = create();
    service.hold('h', '555', 'addr:a', new FakeClient(), 'req-h');
    const held = (service as unknown as { held: Map<string, HeldRequest> }).held.get('h')!;
    expect(Object.keys(held).sort()).toEqual(['client', 'messageId', 'onGone', 'outcome', 'requestId', 'scope', 'startedAt', 'toAddr']);
  });

  it('refuses to hold past MAX_PENDING_REQUESTS, and takes more once one leaves', () => {
    const service = create({ MAX_PENDING_REQUESTS: '2' });
    void service.hold('a', '555', 'addr:a', new FakeClient());
    void service.hold('b', '555', 'addr:b', new FakeClient());
    expect(service.isFull).toBe(true);
    expect(() => service.hold('c', '555', 'addr:c', new FakeClient())).toThrow(TooManyPendingRequestsError);
    expect(service.has('c')).toBe(false);
    service.finishWithReply(completeReply('a', 'ok'));
    expect(() => service.hold('c', '555', 'addr:c', new FakeClient())).not.toThrow();
    expect(service.size).toBe(2);
  });

  describe('per-client share (MAX_PENDING_PER_CLIENT)', () => {
    it('defaults to a quarter of MAX_PENDING_REQUESTS, rounded up', () => {
      expect(create({ MAX_PENDING_REQUESTS: '10' }).maxPendingPerClient).toBe(3);
      expect(create({ MAX_PENDING_REQUESTS: '10', MAX_PENDING_PER_CLIENT: '7' }).maxPendingPerClient).toBe(7);
    });

    it('refuses a client at its share while others still get slots, and counts the refusals', () => {
      const service = create({ MAX_PENDING_REQUESTS: '10', MAX_PENDING_PER_CLIENT: '2' });
      const refusals: string[] = [];
      service.onRefusal((reason) => refusals.push(reason));
      void service.hold('a1', '555', 'addr:a', new FakeClient());
      void service.hold('a2', '555', 'addr:a', new FakeClient());
      expect(() => service.hold('a3', '555', 'addr:a', new FakeClient())).toThrow(TooManyPendingForClientError);
      expect(() => service.hold('a4', '555', 'addr:a', new FakeClient())).toThrow(TooManyPendingForClientError);
      expect(() => service.hold('b1', '555', 'caller:b', new FakeClient())).not.toThrow();
      expect(refusals).toEqual(['client_share', 'client_share']);
      expect(service.heldBy('addr:a')).toBe(2);
    });

    it('gives a slot back exactly once, however the request leaves', () => {
      const service = create({ MAX_PENDING_REQUESTS: '10', MAX_PENDING_PER_CLIENT: '4' });
      const targets = [new FakeClient(), new FakeClient(), new FakeClient(), new FakeClient()];
      targets.forEach((target, i) => void service.hold(`m${i}`, '555', 'addr:a', target));
      expect(service.heldBy('addr:a')).toBe(4);
      service.finishWithReply(completeReply('m0', 'reply')); // reply (its close event then changes nothing)
      service.finishWithReply(completeReply('m0', 'again'));
      targets[1].disconnect(); // disconnect
      targets[1].disconnect();
      service.release('m2'); // publish failed
      service.release('m2');
      expect(service.heldBy('addr:a')).toBe(1);
      service.onModuleDestroy(); // shutdown
      expect(service.heldBy('addr:a')).toBe(0);
      expect(service.size).toBe(0);
    });

    it('gives a timed-out request its slot back', () => {
      const service = create({ MAX_PENDING_REQUESTS: '10', MAX_PENDING_PER_CLIENT: '1' });
      void service.hold('t', '555', 'addr:a', new FakeClient());
      expect(service.sweep(performance.now() + TIMEOUT_S * 1000)).toBe(1);
      expect(service.heldBy('addr:a')).toBe(0);
      expect(() => service.hold('t2', '555', 'addr:a', new FakeClient())).not.toThrow();
    });
  });

  it('with request_cleanup_interval < 1, schedules no sweep (held requests wait forever, as in Vumi)', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const service = create({ REQUEST_CLEANUP_INTERVAL: '0' });
    service.startSweeping();
    expect(setInterval).not.toHaveBeenCalled();
  });

  it('sweeps every request_cleanup_interval seconds once started', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const service = create({ REQUEST_CLEANUP_INTERVAL: '3' });
    service.startSweeping();
    service.startSweeping();
    expect(setInterval).toHaveBeenCalledTimes(1);
    expect(setInterval.mock.calls[0][1]).toBe(3000);
    service.stopSweeping();
  });
});
