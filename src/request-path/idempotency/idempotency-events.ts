import { Injectable } from '@nestjs/common';
import { Listeners } from '../../common/listeners';

export type DeduplicatedListener = (caller: string | undefined) => void;

/** Tells observers (metrics) of each repeat answered from the store instead of being published. */
@Injectable()
export class IdempotencyEvents {
  private readonly listeners = new Listeners<[caller: string | undefined]>();

  onDeduplicated(listener: DeduplicatedListener): void {
    this.listeners.add(listener);
  }

  deduplicated(caller: string | undefined): void {
    this.listeners.emit(caller);
  }
}
