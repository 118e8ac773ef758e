/**
 * Observers of one kind of event (metrics, logs, status), called in the order they were added. A
 * plain array rather than an EventEmitter: no string event names to mistype, typed arguments, and
 * nothing allocated per emit.
 */
export class Listeners<Args extends unknown[]> {
  private readonly list: Array<(...args: Args) => void> = [];

  add(listener: (...args: Args) => void): void {
    this.list.push(listener);
  }

  emit(...args: Args): void {
    for (const listener of this.list) listener(...args);
  }

  get size(): number {
    return this.list.length;
  }
}
