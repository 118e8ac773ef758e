import { ComponentStatus } from '../../wire/vumi-message';

/**
 * Vumi's status edge detection for one component: a status is worth
 * publishing when the component's status changes, or when a type not yet
 * seen in the current status arrives. Repeats are not.
 */
export class StatusEdgeDetector {
  private current: ComponentStatus | null = null;
  private seenTypes = new Set<string>();

  get status(): ComponentStatus | null {
    return this.current;
  }

  /** Records a status; true when it should be published. */
  record(status: ComponentStatus, type: string): boolean {
    if (status !== this.current) {
      this.current = status;
      this.seenTypes = new Set([type]);
      return true;
    }
    if (this.seenTypes.has(type)) return false;
    this.seenTypes.add(type);
    return true;
  }
}
