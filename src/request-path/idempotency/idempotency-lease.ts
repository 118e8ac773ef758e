import { TransportConfig } from '../../config/transport-config';

/** Time a claim outlives the longest publish it covers, for the store write after the confirm. */
const LEASE_MARGIN_MS = 10_000;

/**
 * How long a claim (a key in flight) lasts: the publish, and in reply mode the hold, which lasts up to
 * REQUEST_TIMEOUT plus one sweep (without time-outs, as long as the window).
 */
export function claimLeaseMs(
  config: Pick<TransportConfig, 'idempotencyWindow' | 'requestCleanupInterval' | 'requestTimeout' | 'publishTimeout' | 'replyExpected'>,
): number {
  const windowMs = config.idempotencyWindow * 1000;
  const timeoutsOff = config.requestCleanupInterval < 1;
  const holdMs = timeoutsOff ? windowMs : (config.requestTimeout + config.requestCleanupInterval) * 1000;
  return Math.ceil(config.publishTimeout * 1000 + LEASE_MARGIN_MS + (config.replyExpected ? holdMs : 0));
}
