import { Injectable } from '@nestjs/common';

/**
 * Whether the service takes new requests. Two states apart, both failing readiness and refusing
 * new API requests with 503:
 * - draining, for shutdown: one way, the process is going;
 * - paused, by an operator (POST /admin/pause, e.g. for broker maintenance): undone by resume;
 *   held requests are still answered and replies still consumed.
 */
@Injectable()
export class LifecycleService {
  private drainingValue = false;
  private pausedValue = false;

  get isDraining(): boolean {
    return this.drainingValue;
  }

  get isPaused(): boolean {
    return this.pausedValue;
  }

  startDraining(): void {
    this.drainingValue = true;
  }

  /** Returns whether this changed anything (false when already paused). */
  pause(): boolean {
    const changed = !this.pausedValue;
    this.pausedValue = true;
    return changed;
  }

  /** Returns whether this changed anything (false when not paused). */
  resume(): boolean {
    const changed = this.pausedValue;
    this.pausedValue = false;
    return changed;
  }
}
