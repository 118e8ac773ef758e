import { Inject, Injectable } from '@nestjs/common';
import { TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { HeldOutcome } from '../../reply-path/pending-requests/held-request';

/**
 * The answer a held request's outcome gets, as a plain value, computed once per request
 * (InboundMessageService): ApiResponder writes it, and IdempotencyService keeps it for repeats.
 */
export interface HeldAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The caller went away first: nobody to write it to; kept for repeats as timed out (see the docs). */
  readonly callerGone?: true;
}

/** Answers of held requests under one configuration: the reply as text, else the configured time-out answer. */
@Injectable()
export class HeldAnswers {
  /** REQUEST_TIMEOUT_STATUS_CODE with REQUEST_TIMEOUT_BODY: a time-out or shutdown. */
  readonly timedOut: HeldAnswer;
  /** The time-out answer of a request whose caller went away. */
  private readonly gone: HeldAnswer;

  constructor(@Inject(TRANSPORT_CONFIG) config: Pick<TransportConfig, 'requestTimeoutStatusCode' | 'requestTimeoutBody'>) {
    this.timedOut = { status: config.requestTimeoutStatusCode, contentType: TEXT_PLAIN_UTF8, body: config.requestTimeoutBody };
    this.gone = { ...this.timedOut, callerGone: true };
  }

  of(outcome: HeldOutcome): HeldAnswer {
    if (outcome.kind === 'reply') return { status: 200, contentType: TEXT_PLAIN_UTF8, body: outcome.content };
    return outcome.kind === 'gone' ? this.gone : this.timedOut;
  }
}
