import { NO_MATCHING_REQUEST, REPLIES_NOT_EXPECTED } from '../../wire/vumi-decoder';

/**
 * Label values come from small fixed sets: a label fed with free text (a
 * method a client made up, a nack reason naming fields) would create a new
 * series per value and could exhaust Prometheus.
 */

/**
 * The caller label of a request that carries no authenticated caller (no auth configured, or
 * refused): the caller label only ever takes configured user names and this.
 */
export const ANONYMOUS_CALLER = 'anonymous';

const METHODS = new Set(['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS']);

export function methodLabel(method: string | undefined): string {
  return method !== undefined && METHODS.has(method) ? method : 'other';
}

export type NackReasonLabel = 'no_matching_request' | 'replies_not_expected' | 'invalid_fields' | 'missing_fields' | 'other';

/** Vumi's nack reasons (wire/vumi-decoder.ts), without the field names some of them carry. */
export function nackReasonLabel(reason: string | undefined): NackReasonLabel {
  if (reason === NO_MATCHING_REQUEST) return 'no_matching_request';
  if (reason === REPLIES_NOT_EXPECTED) return 'replies_not_expected';
  if (reason?.startsWith('Invalid fields:')) return 'invalid_fields';
  if (reason?.startsWith('Missing fields:')) return 'missing_fields';
  return 'other';
}
