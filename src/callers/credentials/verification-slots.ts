/**
 * At most `limit` password checks at once. No queue: a check that finds no
 * free slot is refused at once (a queue is memory an attacker fills, and
 * latency every caller waits behind).
 */
export class VerificationSlots {
  private running = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.running;
  }

  tryAcquire(): boolean {
    if (this.running >= this.limit) return false;
    this.running += 1;
    return true;
  }

  release(): void {
    this.running = Math.max(0, this.running - 1);
  }
}
