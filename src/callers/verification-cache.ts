/**
 * A bounded map from a credentials digest to its verification (a promise, so
 * that concurrent requests with the same credentials share one hash run).
 * Least recently used entries go first; a Map keeps insertion order, and a
 * hit is moved to the end.
 */
export class VerificationCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  getOrCompute(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const computed = compute();
    this.entries.set(key, computed);
    // A failed run (not a wrong password: an error) is not remembered.
    computed.catch(() => this.entries.get(key) === computed && this.entries.delete(key));
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return computed;
  }
}
