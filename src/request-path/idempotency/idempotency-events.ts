import { Injectable } from '@nestjs/common';
import { Listeners } from '../../common/listeners';

export type DeduplicatedListener = (caller: string | undefined) => void;

/**
 * Why a write to the store may not survive: `unreplicated`, fewer replicas than REDIS_WAIT_REPLICAS
 * had it in time (a failover now could lose it); `failed`, an outcome not stored at all (its
 * request was answered all the same).
 */
export type WriteAtRisk = 'unreplicated' | 'failed';
export const WRITES_AT_RISK: readonly WriteAtRisk[] = ['unreplicated', 'failed'];

/**
 * Tells observers (metrics) of each repeat answered from the store instead of being published, and
 * of each write a later retry may not find (so a retry could publish again).
 */
@Injectable()
export class IdempotencyEvents {
  private readonly listeners = new Listeners<[caller: string | undefined]>();
  private readonly atRiskListeners = new Listeners<[why: WriteAtRisk]>();

  onWriteAtRisk(listener: (why: WriteAtRisk) => void): void {
    this.atRiskListeners.add(listener);
  }

  writeAtRisk(why: WriteAtRisk): void {
    this.atRiskListeners.emit(why);
  }

  onDeduplicated(listener: DeduplicatedListener): void {
    this.listeners.add(listener);
  }

  deduplicated(caller: string | undefined): void {
    this.listeners.emit(caller);
  }
}
