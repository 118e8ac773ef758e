/** The first answer to a request, as replayed to its repeats. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** How the first request ended: its message id, and for a held request the answer it got. */
export interface StoredOutcome {
  messageId: string;
  /** Reply mode: the reply (or time-out answer) sent. Absent: the answer was `{"message_id": ...}`. */
  answer?: StoredAnswer;
}

/**
 * What is kept under an Idempotency-Key: the fingerprint of the request that
 * claimed it, the claim's token, and how it ended once it has (no outcome =
 * the first request is still in flight).
 */
export interface IdempotencyRecord {
  fingerprint: string;
  token: string;
  outcome?: StoredOutcome;
}

/**
 * Where keys live: MemoryIdempotencyStore (one instance) or
 * RedisIdempotencyStore (shared). Each operation is atomic.
 */
export interface IdempotencyStore {
  /** Claims `key` for `leaseMs` and returns null, or returns the record already there. */
  claim(key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null>;
  /** Stores the first answer for `windowMs`, unless another claim has replaced `token`'s. */
  complete(key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void>;
  /** Drops the claim `token` holds (its request failed: a retry must be free to publish). */
  release(key: string, token: string): Promise<void>;
}
