import { Injectable } from '@nestjs/common';

/** `caller` is the authenticated user name, or undefined for a limit by client address. */
export type RateLimitedListener = (caller: string | undefined) => void;

/** Tells observers (metrics) of each request refused with 429. */
@Injectable()
export class RateLimitEvents {
  private readonly listeners: RateLimitedListener[] = [];

  onRateLimited(listener: RateLimitedListener): void {
    this.listeners.push(listener);
  }

  rateLimited(caller: string | undefined): void {
    for (const listener of this.listeners) listener(caller);
  }
}
