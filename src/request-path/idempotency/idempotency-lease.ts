import { TransportConfig } from '../../config/transport-config';

/** Time a claim outlives the longest publish it covers, for the store write after the confirm. */
const LEASE_MARGIN_MS = 10_000;

/**
 * How long a claim (a key in flight) lasts: the publish, and in reply mode the hold, which lasts up to
 * REQUEST_TIMEOUT plus one sweep (without time-outs, as long as the window).
 */
export function claimLeaseMs(
  config: Pick<
    TransportConfig,
    | 'idempotencyWindowMs'
    | 'requestCleanupInterval'
    | 'requestCleanupIntervalMs'
    | 'requestTimeoutMs'
    | 'publishTimeoutMs'
    | 'replyExpected'
  >,
): number {
  const windowMs = config.idempotencyWindowMs;
  const timeoutsOff = config.requestCleanupInterval < 1;
  const holdMs = timeoutsOff ? windowMs : config.requestTimeoutMs + config.requestCleanupIntervalMs;
  return Math.ceil(config.publishTimeoutMs + LEASE_MARGIN_MS + (config.replyExpected ? holdMs : 0));
}
