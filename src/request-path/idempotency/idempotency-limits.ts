import { TransportConfig } from '../../config/transport-config';
import { DEFAULT_CLIENT_FRACTION } from '../../reply-path/pending-requests/client-shares';

/** The byte limits every idempotency store keeps (memory and Redis alike). */
export interface IdempotencyLimits {
  /** The whole store (the memory store; Redis is bounded per client and by its own maxmemory). */
  readonly maxBytes: number;
  /** One client's (caller's or address's) entries. */
  readonly maxBytesPerClient: number;
  /** One entry: key, record and overhead. Never above a client's share, or it could never be kept. */
  readonly maxEntryBytes: number;
}

export function idempotencyLimitsOf(
  config: Pick<TransportConfig, 'idempotencyMaxBytes' | 'idempotencyMaxBytesPerClient' | 'idempotencyMaxEntryBytes'>,
): IdempotencyLimits {
  const perClient = Math.min(
    config.idempotencyMaxBytesPerClient ?? Math.floor(config.idempotencyMaxBytes / DEFAULT_CLIENT_FRACTION),
    config.idempotencyMaxBytes,
  );
  return {
    maxBytes: config.idempotencyMaxBytes,
    maxBytesPerClient: perClient,
    maxEntryBytes: Math.min(config.idempotencyMaxEntryBytes, perClient),
  };
}
