import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { callerHelperMetadata, callerOf } from '../callers/caller';
import { InboundFieldsDto } from '../http-api/inbound-fields.dto';
import { InboundMessageService, InboundOutcome } from '../http-api/inbound-message.service';
import { IDEMPOTENCY_STORE } from './idempotency.constants';
import { IdempotencyKeyInFlightError, IdempotencyKeyMismatchError, IdempotencyStoreUnavailableError } from './idempotency.errors';
import { IdempotencyEvents } from './idempotency-events';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyOf, requestFingerprint, scopedKey } from './idempotency-key';
import { IdempotencyRecord, IdempotencyStore, StoredAnswer, StoredOutcome } from './idempotency-store';
import { RecordingReplyTarget } from './recording-reply-target';

/** Sent on every answer given again from the store (Stripe's name; the IETF draft names none). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Time a claim outlives the longest publish it covers, for the store write after the confirm. */
const LEASE_MARGIN_MS = 10_000;
/** At most one "store unavailable" warning per this many ms (each refused request would log one). */
const WARN_EVERY_MS = 10_000;

/**
 * Wraps InboundMessageService.accept with the Idempotency-Key rules of the
 * IETF draft: the key is claimed (in flight) before publishing and released
 * if publishing fails, so a 503 never blocks a retry; the outcome is stored
 * only after the broker confirmed the message (and, in reply mode, once the
 * held request was answered). A repeat with the same fields gets that
 * outcome again and publishes nothing; other fields → 422; in flight → 409.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger('Idempotency');
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly noReplyAnswer: StoredAnswer;
  private lastWarning = 0;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly inbound: InboundMessageService,
    private readonly events: IdempotencyEvents,
  ) {
    this.windowMs = config.idempotencyWindow * 1000;
    // A held request lasts up to REQUEST_TIMEOUT plus one sweep; without time-outs, as long as the window.
    const timeoutsOff = config.requestCleanupInterval < 1;
    const holdMs = timeoutsOff ? this.windowMs : (config.requestTimeout + config.requestCleanupInterval) * 1000;
    this.leaseMs = Math.ceil(config.publishTimeout * 1000 + LEASE_MARGIN_MS + (config.replyExpected ? holdMs : 0));
    const type = 'text/plain; charset=utf-8';
    this.noReplyAnswer = { status: config.requestTimeoutStatusCode, contentType: type, body: config.requestTimeoutBody };
  }

  /** Publishes (or holds) the request once per Idempotency-Key; the caller's name goes into helper_metadata. */
  async accept(fields: InboundFieldsDto, req: Request, res: Response): Promise<InboundOutcome> {
    const caller = callerOf(req)?.name;
    const metadata = callerHelperMetadata(callerOf(req));
    const key = this.windowMs > 0 ? idempotencyKeyOf(req.headers[IDEMPOTENCY_KEY_HEADER]) : undefined;
    if (key === undefined) return this.inbound.accept(fields, res, metadata);

    const storeKey = scopedKey(caller, key);
    const fingerprint = requestFingerprint(fields, caller);
    const token = randomUUID();
    const existing = await this.storeCall(() => this.store.claim(storeKey, fingerprint, token, this.leaseMs));
    if (existing) return this.repeat(existing, fingerprint, caller, res);

    const target = this.config.replyExpected ? new RecordingReplyTarget(res) : res;
    let outcome: InboundOutcome;
    try {
      outcome = await this.inbound.accept(fields, target, metadata);
    } catch (error) {
      this.store.release(storeKey, token).catch((e: Error) => this.logger.warn(`Releasing a key failed: ${e.message}`));
      throw error;
    }
    const remember = (stored: StoredOutcome) => this.remember(storeKey, { fingerprint, token, outcome: stored });
    if (target instanceof RecordingReplyTarget) {
      // A held request that ends without an answer (its caller left) counts as timed out: see the docs.
      void target.answered.then((answer) => remember({ messageId: outcome.messageId, answer: answer ?? this.noReplyAnswer }));
    } else {
      await remember({ messageId: outcome.messageId });
    }
    return outcome;
  }

  private repeat(existing: IdempotencyRecord, fingerprint: string, caller: string | undefined, res: Response): InboundOutcome {
    if (existing.fingerprint !== fingerprint) throw new IdempotencyKeyMismatchError();
    const outcome = existing.outcome;
    if (!outcome) throw new IdempotencyKeyInFlightError();
    this.events.deduplicated(caller);
    res.setHeader(REPLAYED_HEADER, 'true');
    if (outcome.answer) {
      const body = Buffer.from(outcome.answer.body, 'utf8');
      res.writeHead(outcome.answer.status, { 'Content-Type': outcome.answer.contentType, 'Content-Length': body.length });
      res.end(body);
    }
    return { held: false, messageId: outcome.messageId };
  }

  /** The message is out: a store failure now is logged, and the caller still gets its answer. */
  private async remember(key: string, record: Required<IdempotencyRecord>): Promise<void> {
    await this.store.complete(key, record, this.windowMs).catch((error: Error) => {
      this.logger.warn(`Storing the outcome of message ${record.outcome.messageId} failed: ${error.message}`);
    });
  }

  private async storeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const unavailable = new IdempotencyStoreUnavailableError(error);
      if (Date.now() - this.lastWarning >= WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.logger.warn(`${unavailable.message}; requests with an Idempotency-Key get 503`);
      }
      throw unavailable;
    }
  }
}
