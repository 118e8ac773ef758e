import { IdempotencyLimits } from './idempotency-limits';
import { entryBytes, IdempotencyRecord, IdempotencyStore } from './idempotency-store';

interface Entry {
  readonly key: string;
  readonly usage: ScopeUsage;
  readonly record: IdempotencyRecord;
  readonly expiresAt: number;
  readonly bytes: number;
}

/** One client's entries, in write order, and what they cost. */
interface ScopeUsage {
  readonly scope: string;
  readonly entries: Map<string, Entry>;
  bytes: number;
  /** Position in the heap of scopes by bytes. */
  index: number;
}

/**
 * Keys in this instance's memory, bounded by bytes as well as by count.
 *
 * Each client (scope) has its own share (IDEMPOTENCY_MAX_BYTES_PER_CLIENT): a
 * write past it forgets that client's own oldest entries, never another's.
 * When the whole store is past IDEMPOTENCY_MAX_BYTES (many clients, each
 * within its share), the oldest entries of the client holding the most bytes
 * go first, so a client using less than the others keeps its keys while any
 * of them uses more (a max-heap of clients by bytes finds it in O(log n)).
 * An entry over the per-entry limit is never stored (IdempotencyService keeps
 * the message id alone for such an answer). Expired entries are dropped from
 * the front (write order) as new ones come in. Every operation is
 * synchronous, hence atomic.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  /** Every entry, in write order: the front holds the oldest (and first to expire). */
  private readonly entries = new Map<string, Entry>();
  private readonly scopes = new Map<string, ScopeUsage>();
  private readonly heap: ScopeUsage[] = [];
  private totalBytes = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly limits: IdempotencyLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Bytes counted now (keys, records, overhead estimate). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Bytes counted now for one client. */
  bytesOf(scope: string): number {
    return this.scopes.get(scope)?.bytes ?? 0;
  }

  claim(scope: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    const existing = this.live(key);
    if (existing) return Promise.resolve(existing.record);
    this.write(scope, key, { fingerprint, token }, leaseMs);
    return Promise.resolve(null);
  }

  complete(scope: string, key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    const existing = this.live(key);
    if (!existing || existing.record.token === record.token) this.write(scope, key, record, windowMs);
    return Promise.resolve();
  }

  release(_scope: string, key: string, token: string): Promise<void> {
    const existing = this.live(key);
    if (existing?.record.token === token) this.remove(existing);
    return Promise.resolve();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.remove(entry);
      return undefined;
    }
    return entry;
  }

  private write(scope: string, key: string, record: IdempotencyRecord, ttlMs: number): void {
    const now = this.now();
    const old = this.entries.get(key);
    if (old) this.remove(old); // re-inserted at the end: write order
    const bytes = entryBytes(key, record);
    if (bytes > this.limits.maxEntryBytes) return; // never kept (the service does not ask; a guard)
    const usage = this.usageOf(scope);
    const entry: Entry = { key, usage, record, expiresAt: now + ttlMs, bytes };
    this.entries.set(key, entry);
    usage.entries.set(key, entry);
    this.add(usage, bytes);
    this.dropExpired(now);
    while (usage.bytes > this.limits.maxBytesPerClient) this.removeOldestOf(usage);
    while (this.totalBytes > this.limits.maxBytes || this.entries.size > this.maxKeys) this.removeOldestOf(this.heap[0]);
  }

  private dropExpired(now: number): void {
    for (const entry of this.entries.values()) {
      if (entry.expiresAt > now) break;
      this.remove(entry);
    }
  }

  private removeOldestOf(usage: ScopeUsage): void {
    const oldest = usage.entries.values().next().value as Entry;
    this.remove(oldest);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.key);
    entry.usage.entries.delete(entry.key);
    this.add(entry.usage, -entry.bytes);
    if (entry.usage.entries.size === 0) this.dropUsage(entry.usage);
  }

  private usageOf(scope: string): ScopeUsage {
    let usage = this.scopes.get(scope);
    if (!usage) {
      usage = { scope, entries: new Map(), bytes: 0, index: this.heap.length };
      this.scopes.set(scope, usage);
      this.heap.push(usage);
    }
    return usage;
  }

  private add(usage: ScopeUsage, bytes: number): void {
    usage.bytes += bytes;
    this.totalBytes += bytes;
    if (bytes > 0) this.siftUp(usage.index);
    else this.siftDown(usage.index);
  }

  private dropUsage(usage: ScopeUsage): void {
    this.scopes.delete(usage.scope);
    const last = this.heap.pop()!;
    if (last === usage) return;
    this.heap[usage.index] = last;
    last.index = usage.index;
    this.siftUp(last.index);
    this.siftDown(last.index);
  }

  // ---- a max-heap of scopes by bytes: heap[0] is the client holding the most ----

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.heap[parent].bytes >= this.heap[index].bytes) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let largest = index;
      if (left < this.heap.length && this.heap[left].bytes > this.heap[largest].bytes) largest = left;
      if (right < this.heap.length && this.heap[right].bytes > this.heap[largest].bytes) largest = right;
      if (largest === index) return;
      this.swap(index, largest);
      index = largest;
    }
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a];
    this.heap[a] = this.heap[b];
    this.heap[b] = first;
    this.heap[a].index = a;
    this.heap[b].index = b;
  }
}
