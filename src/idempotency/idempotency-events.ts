import { Injectable } from '@nestjs/common';

export type DeduplicatedListener = (caller: string | undefined) => void;

/** Tells observers (metrics) of each repeat answered from the store instead of being published. */
@Injectable()
export class IdempotencyEvents {
  private readonly listeners: DeduplicatedListener[] = [];

  onDeduplicated(listener: DeduplicatedListener): void {
    this.listeners.push(listener);
  }

  deduplicated(caller: string | undefined): void {
    for (const listener of this.listeners) listener(caller);
  }
}
