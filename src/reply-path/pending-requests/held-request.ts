import { HandOff } from '../../common/hand-off';
import { CompleteReply } from '../../wire/reply-answer';

/**
 * How a held request ended, the one value the hand-off `PendingRequestsService.hold()` returns settles with: the
 * application's reply (the decoded message itself: its content for a text answer, its other fields
 * for a JSON one), the time-out, shutdown, or its caller went away first. What that becomes on
 * the wire is the HTTP layer's business (ApiResponder): an outcome carries no status code. Only
 * FinishedRequest, below, names the status its answer gets, for the observers (status, metrics).
 */
export type HeldOutcome =
  | { readonly kind: 'reply'; readonly reply: CompleteReply }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'gone' };

/** The outcomes without content, shared: settling a held request allocates none. */
export const TIMED_OUT: HeldOutcome = Object.freeze({ kind: 'timeout' });
export const SHUT_DOWN: HeldOutcome = Object.freeze({ kind: 'shutdown' });
export const CLIENT_GONE: HeldOutcome = Object.freeze({ kind: 'gone' });

/**
 * What PendingRequestsService needs of the caller's connection, AbortSignal-like: to be told once
 * it is gone, and to stop listening when the request leaves otherwise. The HTTP layer implements it
 * over the response's 'close' (ResponseCloseWatch).
 */
export interface ClientWatch {
  watch(onGone: () => void): void;
  unwatch(onGone: () => void): void;
}

export interface HeldRequest {
  readonly messageId: string;
  readonly toAddr: string;
  /** Whose share of the slots it takes (ClientIdentity.scopeOf: `caller:<name>` or `addr:<address>`). */
  readonly scope: string;
  /** performance.now() at hold time, in ms. */
  readonly startedAt: number;
  /** The hand-off hold() returned; settled exactly once, in `settle`. */
  readonly outcome: HandOff<HeldOutcome>;
  readonly client: ClientWatch | undefined;
  /** The HTTP request's id, for log lines about it (a time-out's, a caller gone). */
  readonly requestId: string | undefined;
  readonly onGone: () => void;
}

export type FinishReason = 'reply' | 'timeout' | 'shutdown';

export interface FinishedRequest {
  readonly reason: FinishReason;
  readonly seconds: number;
  /** The status its answer gets: 200 for a reply, REQUEST_TIMEOUT_STATUS_CODE otherwise. */
  readonly status: number;
}
