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
  /**
   * Reply mode, an answer over IDEMPOTENCY_MAX_ENTRY_BYTES: its size, instead of the answer itself.
   * A repeat gets 422 idempotency_answer_not_kept naming the message id; nothing is published again.
   */
  answerNotKept?: number;
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
 * RedisIdempotencyStore (shared). Each operation is atomic. `scope` is the
 * client whose share of the byte budget the entry takes (ClientIdentity.scopeOf);
 * `key` is already scoped (scopedKey), so two clients' keys never meet.
 */
export interface IdempotencyStore {
  /** Claims `key` for `leaseMs` and returns null, or returns the record already there. */
  claim(scope: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null>;
  /** Stores the first answer for `windowMs`, unless another claim has replaced `token`'s. */
  complete(scope: string, key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void>;
  /** Drops the claim `token` holds (its request failed: a retry must be free to publish). */
  release(scope: string, key: string, token: string): Promise<void>;
}

/**
 * What one entry costs, as counted against the byte budgets: its strings (V8 keeps Latin-1 text at
 * one byte a character, anything else at two) plus ENTRY_OVERHEAD for the objects and Map slots
 * around them. Counted the same way for Redis, whose own per-key overhead is of the same order.
 */
export function entryBytes(key: string, record: IdempotencyRecord): number {
  const answer = record.outcome?.answer;
  const strings = [key, record.fingerprint, record.token, record.outcome?.messageId ?? ''];
  if (answer) strings.push(answer.body, answer.contentType);
  let bytes = ENTRY_OVERHEAD;
  for (const text of strings) bytes += STRING_HEADER + (ONE_BYTE.test(text) ? text.length : 2 * text.length);
  return bytes;
}

/** Objects (entry, record, outcome, answer) and the two Map slots of one memory entry, rounded up. */
const ENTRY_OVERHEAD = 400;
const STRING_HEADER = 16;
// eslint-disable-next-line no-control-regex -- every one-byte character, control characters included
const ONE_BYTE = /^[\x00-\xff]*$/;
