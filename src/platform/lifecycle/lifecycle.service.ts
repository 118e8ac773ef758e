import { Injectable } from '@nestjs/common';

/** Whether the service is draining for shutdown: readiness fails and the API refuses new requests. */
@Injectable()
export class LifecycleService {
  private drainingValue = false;

  get isDraining(): boolean {
    return this.drainingValue;
  }

  startDraining(): void {
    this.drainingValue = true;
  }
}
