import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { IdempotencyStore } from './idempotency-store';
import { ReplicaWaitingIdempotencyStore } from './replica-waiting-idempotency-store';

/** A store whose writes succeed, and a client whose WAIT answers `replicas` (what the replicas acknowledged). */
function storeWith(replicas: number) {
  const writes: string[] = [];
  const inner = {
    claim: () => Promise.resolve(null),
    complete: () => Promise.resolve(writes.push('complete')).then(() => undefined),
    release: () => Promise.resolve(),
  } as unknown as IdempotencyStore;
  const waits: Array<[number, number]> = [];
  const client = { wait: (n: number, ms: number) => Promise.resolve(waits.push([n, ms])).then(() => replicas) } as unknown as Redis;
  let atRisk = 0;
  const store = new ReplicaWaitingIdempotencyStore(inner, client, 1, 250, () => atRisk++);
  return { store, waits, atRisk: () => atRisk };
}

const RECORD = { fingerprint: 'f', token: 't', outcome: { messageId: 'm' } };

describe('ReplicaWaitingIdempotencyStore', () => {
  it('waits for the replicas after a claim and after an outcome, and counts nothing at risk when they acknowledge', async () => {
    const { store, waits, atRisk } = storeWith(1);
    await store.claim('s', 'k', 'f', 't', 1000);
    await store.complete('s', 'k', RECORD, 60_000);
    expect(waits).toEqual([
      [1, 250],
      [1, 250],
    ]);
    expect(atRisk()).toBe(0);
  });

  it('goes on when the replica does not acknowledge in time, counting each such write at risk', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { store, atRisk } = storeWith(0);
    await store.claim('s', 'k', 'f', 't', 1000);
    await store.complete('s', 'k', RECORD, 60_000);
    expect(atRisk()).toBe(2);
    warn.mockRestore();
  });
});
