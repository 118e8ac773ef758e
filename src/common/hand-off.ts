/**
 * A value that arrives once, handed to its listeners synchronously, inside `settle`: whoever
 * settles it knows, when `settle` returns, that every listener has run. A promise would run them a
 * microtask later, and an order that matters (a held request's HTTP answer written, then its `ack`
 * event published: ReplyDispatcher) would rest on event-loop phases. A listener added after the
 * value arrived runs at once.
 */
export class HandOff<T> {
  private settled = false;
  private value: T | undefined;
  private listeners: Array<(value: T) => void> | undefined;

  settle(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.value = value;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) HandOff.run(listener, value);
  }

  onSettled(listener: (value: T) => void): void {
    if (this.settled) HandOff.run(listener, this.value as T);
    else (this.listeners ??= []).push(listener);
  }

  /** A hand-off of `convert(value)`, settled in the same call as this one; `convert` runs once. */
  map<U>(convert: (value: T) => U): HandOff<U> {
    const mapped = new HandOff<U>();
    this.onSettled((value) => mapped.settle(convert(value)));
    return mapped;
  }

  /**
   * One listener's failure neither stops the others nor reaches the settler (a reply's dispatch):
   * it surfaces as an unhandled rejection, as it would have from a promise's `then`.
   */
  private static run<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (error) {
      void Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
