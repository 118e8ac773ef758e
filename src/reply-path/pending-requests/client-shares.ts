import { TransportConfig } from '../../config/transport-config';

/**
 * The fraction of a whole budget one client gets by default. A quarter rather than a tenth: a single
 * heavy caller (the usual case with one application behind the transport) keeps a useful share of
 * the instance, while it takes at least four clients at their cap to fill it, and every one of them
 * is refused before the others are.
 */
export const DEFAULT_CLIENT_FRACTION = 4;

/** Held requests one client (caller or address) may have at once: MAX_PENDING_PER_CLIENT or a quarter. */
export function maxPendingPerClientOf(config: Pick<TransportConfig, 'maxPendingRequests' | 'maxPendingPerClient'>): number {
  return config.maxPendingPerClient ?? Math.ceil(config.maxPendingRequests / DEFAULT_CLIENT_FRACTION);
}
