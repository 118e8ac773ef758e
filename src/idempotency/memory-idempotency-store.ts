import { IdempotencyRecord, IdempotencyStore } from './idempotency-store';

interface Entry {
  record: IdempotencyRecord;
  expiresAt: number;
}

/**
 * Keys in this instance's memory: bounded and expiring. The Map's order is
 * write order, so the front holds the oldest entries: expired ones are
 * dropped from there as new keys come in, and past `maxKeys` the oldest key
 * is forgotten early (a repeat of it would publish again: size the bound
 * for the window, or use Redis). Every operation is synchronous, hence atomic.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    const existing = this.live(key);
    if (existing) return existing.record;
    this.write(key, { fingerprint, token }, leaseMs);
    return null;
  }

  async complete(key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    const existing = this.live(key);
    if (existing && existing.record.token !== record.token) return;
    this.write(key, record, windowMs);
  }

  async release(key: string, token: string): Promise<void> {
    const existing = this.live(key);
    if (existing?.record.token === token) this.entries.delete(key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, record: IdempotencyRecord, ttlMs: number): void {
    const now = this.now();
    this.entries.delete(key); // re-inserted at the end: write order
    this.entries.set(key, { record, expiresAt: now + ttlMs });
    for (const [oldKey, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size <= this.maxKeys) break;
      this.entries.delete(oldKey);
    }
  }
}
