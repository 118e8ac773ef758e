import { Injectable } from '@nestjs/common';
import { Listeners } from '../../common/listeners';

/** `caller` is the authenticated user name, or undefined for a limit by client address. */
export type RateLimitedListener = (caller: string | undefined) => void;

/** Tells observers (metrics) of each request refused with 429. */
@Injectable()
export class RateLimitEvents {
  private readonly listeners = new Listeners<[caller: string | undefined]>();

  onRateLimited(listener: RateLimitedListener): void {
    this.listeners.add(listener);
  }

  rateLimited(caller: string | undefined): void {
    this.listeners.emit(caller);
  }
}
