import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Request, Response } from 'express';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { callerHelperMetadata, callerOf } from '../callers/caller';
import { ClientIdentity } from '../client-identity/client-identity';
import { InboundFieldsDto } from '../http-api/inbound-fields.dto';
import { InboundMessageService, InboundOutcome } from '../http-api/inbound-message.service';
import { IDEMPOTENCY_STORE } from './idempotency.constants';
import {
  IdempotencyAnswerNotKeptError,
  IdempotencyKeyInFlightError,
  IdempotencyKeyMismatchError,
  IdempotencyStoreUnavailableError,
} from './idempotency.errors';
import { IdempotencyEvents } from './idempotency-events';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeyOf, requestFingerprint, scopedKey } from './idempotency-key';
import { claimLeaseMs } from './idempotency-lease';
import { idempotencyLimitsOf } from './idempotency-limits';
import { entryBytes, IdempotencyRecord, IdempotencyStore, StoredAnswer, StoredOutcome } from './idempotency-store';
import { RecordingReplyTarget } from './recording-reply-target';

/** Sent on every answer given again from the store (Stripe's name; the IETF draft names none). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** At most one "store unavailable" warning per this many ms (each refused request would log one). */
const WARN_EVERY_MS = 10_000;

/**
 * Wraps InboundMessageService.accept with the Idempotency-Key rules of the
 * IETF draft: the key is claimed (in flight) before publishing and released
 * if publishing fails, so a 503 never blocks a retry; the outcome is stored
 * only after the broker confirmed the message (and, in reply mode, once the
 * held request was answered). A repeat with the same fields gets that
 * outcome again and publishes nothing; other fields → 422; in flight → 409.
 *
 * Keys are per client (ClientIdentity.scopeOf: the caller with auth, the
 * client address without), so two clients sending the same key never see
 * each other's answer, and each client's entries take its own byte share.
 * An answer too large to keep (IDEMPOTENCY_MAX_ENTRY_BYTES) is replaced by
 * its size: a repeat gets 422 idempotency_answer_not_kept naming the message
 * id, and is not published again.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger('Idempotency');
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly maxEntryBytes: number;
  private readonly noReplyAnswer: StoredAnswer;
  private lastWarning = 0;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly inbound: InboundMessageService,
    private readonly events: IdempotencyEvents,
    private readonly identity: ClientIdentity,
  ) {
    this.windowMs = config.idempotencyWindow * 1000;
    this.leaseMs = claimLeaseMs(config);
    this.maxEntryBytes = idempotencyLimitsOf(config).maxEntryBytes;
    const type = 'text/plain; charset=utf-8';
    this.noReplyAnswer = { status: config.requestTimeoutStatusCode, contentType: type, body: config.requestTimeoutBody };
  }

  /** Publishes (or holds) the request once per Idempotency-Key; the caller's name goes into helper_metadata. */
  async accept(fields: InboundFieldsDto, req: Request, res: Response): Promise<InboundOutcome> {
    const caller = callerOf(req)?.name;
    const metadata = callerHelperMetadata(callerOf(req));
    const scope = this.identity.scopeOf(req);
    const key = this.windowMs > 0 ? idempotencyKeyOf(req.headers[IDEMPOTENCY_KEY_HEADER]) : undefined;
    if (key === undefined) return this.inbound.accept(fields, res, scope, metadata);

    const storeKey = scopedKey(scope, key);
    const fingerprint = requestFingerprint(fields, caller);
    const token = randomUUID();
    const existing = await this.storeCall(() => this.store.claim(scope, storeKey, fingerprint, token, this.leaseMs));
    if (existing) return this.repeat(existing, fingerprint, caller, res);

    const target = this.config.replyExpected ? new RecordingReplyTarget(res) : res;
    let outcome: InboundOutcome;
    try {
      outcome = await this.inbound.accept(fields, target, scope, metadata);
    } catch (error) {
      this.store.release(scope, storeKey, token).catch((e: Error) => this.logger.warn(`Releasing a key failed: ${e.message}`));
      throw error;
    }
    const { messageId } = outcome;
    const remember = (stored: StoredOutcome) => this.remember(scope, storeKey, { fingerprint, token, outcome: stored });
    if (target instanceof RecordingReplyTarget) {
      // A held request that ends without an answer (its caller left) counts as timed out: see the docs.
      void target.answered.then((answer) => remember(this.keptOutcome(storeKey, fingerprint, token, messageId, answer)));
    } else {
      await remember({ messageId });
    }
    return outcome;
  }

  private repeat(existing: IdempotencyRecord, fingerprint: string, caller: string | undefined, res: Response): InboundOutcome {
    if (existing.fingerprint !== fingerprint) throw new IdempotencyKeyMismatchError();
    const outcome = existing.outcome;
    if (!outcome) throw new IdempotencyKeyInFlightError();
    if (outcome.answerNotKept !== undefined) {
      throw new IdempotencyAnswerNotKeptError(outcome.messageId, outcome.answerNotKept, this.maxEntryBytes);
    }
    this.events.deduplicated(caller);
    res.setHeader(REPLAYED_HEADER, 'true');
    if (outcome.answer) {
      const body = Buffer.from(outcome.answer.body, 'utf8');
      res.writeHead(outcome.answer.status, { 'Content-Type': outcome.answer.contentType, 'Content-Length': body.length });
      res.end(body);
    }
    return { held: false, messageId: outcome.messageId };
  }

  /** The answer to keep; when the entry would exceed IDEMPOTENCY_MAX_ENTRY_BYTES, only the answer's size. */
  private keptOutcome(key: string, fingerprint: string, token: string, messageId: string, sent: StoredAnswer | null): StoredOutcome {
    const answer = sent ?? this.noReplyAnswer;
    const outcome: StoredOutcome = { messageId, answer };
    if (entryBytes(key, { fingerprint, token, outcome }) <= this.maxEntryBytes) return outcome;
    return { messageId, answerNotKept: Buffer.byteLength(answer.body, 'utf8') };
  }

  /** The message is out: a store failure now is logged, and the caller still gets its answer. */
  private async remember(scope: string, key: string, record: Required<IdempotencyRecord>): Promise<void> {
    await this.store.complete(scope, key, record, this.windowMs).catch((error: Error) => {
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
