import { TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { TransportConfig } from '../../config/transport-config';
import { HeldOutcome } from '../../reply-path/pending-requests/held-request';

/**
 * The answer a held request's outcome gets, as a plain value: ApiResponder writes it, and
 * IdempotencyService keeps it for repeats. Written once here so the two cannot drift apart.
 */
export interface HeldAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Answers of held requests under one configuration: the reply as text, else the configured time-out answer. */
export class HeldAnswers {
  /** REQUEST_TIMEOUT_STATUS_CODE with REQUEST_TIMEOUT_BODY: a time-out, shutdown, or (kept for repeats) a caller gone. */
  readonly timedOut: HeldAnswer;

  constructor(config: Pick<TransportConfig, 'requestTimeoutStatusCode' | 'requestTimeoutBody'>) {
    this.timedOut = { status: config.requestTimeoutStatusCode, contentType: TEXT_PLAIN_UTF8, body: config.requestTimeoutBody };
  }

  of(outcome: HeldOutcome): HeldAnswer {
    return outcome.kind === 'reply' ? { status: 200, contentType: TEXT_PLAIN_UTF8, body: outcome.content } : this.timedOut;
  }
}
