import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/config-loader';
import { FinishedRequest, HeldRequest, ReplyTarget } from './held-request';
import { TooManyPendingForClientError, TooManyPendingRequestsError } from './pending-requests.errors';
import { PendingRequestsService } from './pending-requests.service';

/** The slice of a ServerResponse the service uses; like Node's, it emits 'close' once it has ended. */
class FakeTarget extends EventEmitter implements ReplyTarget {
  writableEnded = false;
  headersSent = false;
  status: number | undefined;
  headers: Record<string, string | number> | undefined;
  body: string | undefined;
  writes = 0;

  writeHead(status: number, headers: Record<string, string | number>): this {
    this.status = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }

  end(body?: Buffer | string): this {
    this.writes++;
    this.body = body?.toString();
    this.writableEnded = true;
    this.emit('close');
    return this;
  }

  /** The caller goes away before an answer. */
  disconnect(): void {
    this.emit('close');
  }
}

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
      return counting as unknown as ReturnType<typeof values>;
    });
    return () => visits;
  }

  it('a sweep with 100,000 held and none expired looks at the oldest only', () => {
    const service = create({ MAX_PENDING_REQUESTS: '200000', MAX_PENDING_PER_CLIENT: '200000' });
    for (let i = 0; i < 100_000; i++) {
      service.hold(`id-${i}`, '555', new FakeTarget(), 'addr:a');
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
      service.hold(`id-${i}`, '555', new FakeTarget(), 'addr:a');
      clock += 1; // one per ms
    }
    const visits = countVisits(service);
    // Requests held at start .. start+49 have waited TIMEOUT_S by now.
    expect(service.sweep(start + TIMEOUT_S * 1000 + 49)).toBe(50);
    expect(visits()).toBe(51);
    expect(service.size).toBe(100_000 - 50);
  });

  it('times requests out oldest first, with the configured status and body', () => {
    const service = create();
    const targets = ['a', 'b', 'c'].map((id) => {
      const target = new FakeTarget();
      service.hold(id, `to-${id}`, target, 'addr:a');
      clock += 1_000;
      return target;
    });
    const warn = jest.mocked(Logger.prototype.warn);

    clock = 1_000 + TIMEOUT_S * 1000;
    expect(service.sweep(clock)).toBe(1); // a only: it waited exactly request_timeout
    expect(targets.map((t) => t.status)).toEqual([418, undefined, undefined]);
    expect(targets[0].body).toBe('I am a teapot');
    expect(targets[0].headers).toMatchObject({ 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 13 });
    // Vumi's wording, as a structured line that also names the message.
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ msg: 'Timing out to-a', message_id: 'a' }));

    clock = 3_000 + TIMEOUT_S * 1000;
    expect(service.sweep(clock)).toBe(2);
    expect(targets.map((t) => t.status)).toEqual([418, 418, 418]);
    expect(finished.map((f) => [f.reason, f.status])).toEqual([
      ['timeout', 418],
      ['timeout', 418],
      ['timeout', 418],
    ]);
    expect(finished.map((f) => f.seconds)).toEqual([TIMEOUT_S, TIMEOUT_S + 1, TIMEOUT_S]);
    expect(service.size).toBe(0);
  });

  describe('every way out is taken exactly once', () => {
    function afterwards(service: PendingRequestsService, id: string, target: FakeTarget) {
      target.disconnect();
      expect(service.finishWithReply(id, 'again')).toBe(false);
      expect(service.sweep(clock + TIMEOUT_S * 1000 * 2)).toBe(0);
      expect(service.size).toBe(0);
      expect(service.has(id)).toBe(false);
    }

    it('reply', () => {
      const service = create();
      const target = new FakeTarget();
      service.hold('r', '555', target, 'addr:a');
      clock += 250;
      expect(service.finishWithReply('r', 'héllo')).toBe(true);
      expect(target.status).toBe(200);
      expect(target.body).toBe('héllo');
      expect(target.headers).toEqual({ 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 6 });
      afterwards(service, 'r', target);
      expect(target.writes).toBe(1);
      expect(service.disconnects).toBe(0);
      expect(finished).toEqual([{ reason: 'reply', seconds: 0.25, status: 200 }]);
    });

    it('disconnect', () => {
      const service = create();
      const target = new FakeTarget();
      service.hold('d', '555', target, 'addr:a');
      target.disconnect();
      expect(service.disconnects).toBe(1);
      afterwards(service, 'd', target);
      expect(service.disconnects).toBe(1);
      expect(target.writes).toBe(0);
      expect(finished).toEqual([]);
      expect(target.listenerCount('close')).toBe(0);
    });

    it('release (the publish failed; the caller gets a 503 elsewhere)', () => {
      const service = create();
      const target = new FakeTarget();
      service.hold('x', '555', target, 'addr:a');
      service.release('x');
      expect(target.listenerCount('close')).toBe(0);
      afterwards(service, 'x', target);
      expect(service.disconnects).toBe(0);
      expect(target.writes).toBe(0);
      expect(finished).toEqual([]);
    });

    it('drain (shutdown)', async () => {
      const service = create();
      const targets = [new FakeTarget(), new FakeTarget()];
      targets.forEach((target, i) => service.hold(`s${i}`, '555', target, 'addr:a'));
      expect(await service.drain(0)).toBe(2);
      expect(targets.map((t) => [t.status, t.writes])).toEqual([
        [418, 1],
        [418, 1],
      ]);
      targets.forEach((target, i) => afterwards(service, `s${i}`, target));
      expect(finished.map((f) => f.reason)).toEqual(['shutdown', 'shutdown']);
      expect(service.disconnects).toBe(0);
    });
  });

  it('refuses to hold past MAX_PENDING_REQUESTS, and takes more once one leaves', () => {
    const service = create({ MAX_PENDING_REQUESTS: '2' });
    service.hold('a', '555', new FakeTarget(), 'addr:a');
    service.hold('b', '555', new FakeTarget(), 'addr:b');
    expect(service.isFull).toBe(true);
    expect(() => service.hold('c', '555', new FakeTarget(), 'addr:c')).toThrow(TooManyPendingRequestsError);
    expect(service.has('c')).toBe(false);
    service.finishWithReply('a', 'ok');
    expect(() => service.hold('c', '555', new FakeTarget(), 'addr:c')).not.toThrow();
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
      service.hold('a1', '555', new FakeTarget(), 'addr:a');
      service.hold('a2', '555', new FakeTarget(), 'addr:a');
      expect(() => service.hold('a3', '555', new FakeTarget(), 'addr:a')).toThrow(TooManyPendingForClientError);
      expect(() => service.admit('addr:a')).toThrow(TooManyPendingForClientError);
      expect(() => service.hold('b1', '555', new FakeTarget(), 'caller:b')).not.toThrow();
      expect(refusals).toEqual(['client_share', 'client_share']);
      expect(service.heldBy('addr:a')).toBe(2);
    });

    it('gives a slot back exactly once, however the request leaves', () => {
      const service = create({ MAX_PENDING_REQUESTS: '10', MAX_PENDING_PER_CLIENT: '4' });
      const targets = [new FakeTarget(), new FakeTarget(), new FakeTarget(), new FakeTarget()];
      targets.forEach((target, i) => service.hold(`m${i}`, '555', target, 'addr:a'));
      expect(service.heldBy('addr:a')).toBe(4);
      service.finishWithReply('m0', 'reply'); // reply (its close event then changes nothing)
      service.finishWithReply('m0', 'again');
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
      service.hold('t', '555', new FakeTarget(), 'addr:a');
      expect(service.sweep(performance.now() + TIMEOUT_S * 1000)).toBe(1);
      expect(service.heldBy('addr:a')).toBe(0);
      expect(() => service.hold('t2', '555', new FakeTarget(), 'addr:a')).not.toThrow();
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
