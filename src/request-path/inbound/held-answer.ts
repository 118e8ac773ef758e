import { Inject, Injectable } from '@nestjs/common';
import { JSON_UTF8, TEXT_PLAIN_UTF8 } from '../../common/content-types';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { ReplyFormat, TransportConfig } from '../../config/transport-config';
import { HeldOutcome } from '../../reply-path/pending-requests/held-request';
import { replyAnswerJson } from '../../wire/reply-answer';

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

/** The `error` of the JSON time-out answer (docs/api.md, "Replies as JSON"). */
export const REPLY_TIMEOUT_ERROR = 'reply_timeout';
/** Its `message` when REQUEST_TIMEOUT_BODY is empty (the default). */
export const REPLY_TIMEOUT_MESSAGE = 'No reply came from the application within REQUEST_TIMEOUT';

/**
 * Answers of held requests under one configuration, in the representation the caller negotiated
 * (ReplyFormat): `text` is Vumi's (the reply's content; the time-out is REQUEST_TIMEOUT_STATUS_CODE
 * with REQUEST_TIMEOUT_BODY), `json` the reply's fields (src/wire/reply-answer.ts) or, for a
 * time-out or shutdown, the same status with `{"error": "reply_timeout", "message": ...}`, its
 * message REQUEST_TIMEOUT_BODY (the wording a gateway may show its user) unless that is empty.
 */
@Injectable()
export class HeldAnswers {
  /** REQUEST_TIMEOUT_STATUS_CODE with REQUEST_TIMEOUT_BODY: a time-out or shutdown. */
  readonly timedOut: HeldAnswer;
  /** The same status, as JSON, for a caller that prefers it. */
  readonly timedOutJson: HeldAnswer;
  /** The time-out answers of a request whose caller went away. */
  private readonly gone: HeldAnswer;
  private readonly goneJson: HeldAnswer;

  constructor(@Inject(TRANSPORT_CONFIG) config: Pick<TransportConfig, 'requestTimeoutStatusCode' | 'requestTimeoutBody'>) {
    const status = config.requestTimeoutStatusCode;
    this.timedOut = { status, contentType: TEXT_PLAIN_UTF8, body: config.requestTimeoutBody };
    const message = config.requestTimeoutBody === '' ? REPLY_TIMEOUT_MESSAGE : config.requestTimeoutBody;
    this.timedOutJson = { status, contentType: JSON_UTF8, body: JSON.stringify({ error: REPLY_TIMEOUT_ERROR, message }) };
    this.gone = { ...this.timedOut, callerGone: true };
    this.goneJson = { ...this.timedOutJson, callerGone: true };
  }

  of(outcome: HeldOutcome, format: ReplyFormat = 'text'): HeldAnswer {
    if (format === 'text') {
      if (outcome.kind === 'reply') return { status: 200, contentType: TEXT_PLAIN_UTF8, body: outcome.reply.content };
      return outcome.kind === 'gone' ? this.gone : this.timedOut;
    }
    if (outcome.kind === 'reply') return { status: 200, contentType: JSON_UTF8, body: replyAnswerJson(outcome.reply) };
    return outcome.kind === 'gone' ? this.goneJson : this.timedOutJson;
  }
}
