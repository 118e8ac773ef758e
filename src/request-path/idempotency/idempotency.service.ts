import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { ThrottledWarning } from '../../common/throttled-warning';
import { HeldAnswer } from '../inbound/held-answer';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { InboundMessageService, InboundOutcome, InboundSender } from '../inbound/inbound-message.service';
import { IDEMPOTENCY_STORE } from './idempotency.constants';
import {
  IdempotencyAnswerNotKeptError,
  IdempotencyKeyInFlightError,
  IdempotencyKeyMismatchError,
  IdempotencyStoreUnavailableError,
} from './idempotency.errors';
import { IdempotencyEvents } from './idempotency-events';
import { idempotencyKeyOf, requestFingerprint, scopedKey } from './idempotency-key';
import { claimLeaseMs } from './idempotency-lease';
import { idempotencyLimitsOf } from './idempotency-limits';
import { entryBytes, IdempotencyRecord, IdempotencyStore, StoredAnswer, StoredOutcome } from './idempotency-store';

/** A request as the Idempotency-Key rules see it: plain values the HTTP layer read off it. */
export interface IdempotentRequest extends InboundSender {
  /** The authenticated caller's name (part of the fingerprint), if any. */
  readonly caller?: string;
  /** The Idempotency-Key header as received (undefined: none sent). */
  readonly idempotencyKey?: string | string[];
}

/** A repeat answered from the store: the first request's message id and, in reply mode, its answer. */
export interface ReplayedOutcome {
  readonly kind: 'replayed';
  readonly messageId: string;
  /** Absent: the first answer was `{"message_id": ...}`. */
  readonly answer?: StoredAnswer;
}

export type IdempotentOutcome = InboundOutcome | ReplayedOutcome;

/**
 * Wraps InboundMessageService.accept with the Idempotency-Key rules of the
 * IETF draft: the key is claimed (in flight) before publishing and released
 * if publishing fails, so a 503 never blocks a retry; the outcome is stored
 * only after the broker confirmed the message (and, in reply mode, once the
 * held request was answered). A repeat with the same fields gets that
 * outcome again and publishes nothing; other fields → 422; in flight → 409.
 *
 * Keys are per client (the request's scope, ClientIdentity.scopeOf: the
 * caller with auth, the client address without), so two clients sending the same key never see
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
  private readonly unavailableWarning = new ThrottledWarning();

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly inbound: InboundMessageService,
    private readonly events: IdempotencyEvents,
  ) {
    this.windowMs = config.idempotencyWindowMs;
    this.leaseMs = claimLeaseMs(config);
    this.maxEntryBytes = idempotencyLimitsOf(config).maxEntryBytes;
  }

  /**
   * Publishes (or holds) the request once per Idempotency-Key. Writes nothing: a repeat returns the
   * first outcome as a value (`replayed`), which the HTTP layer answers.
   */
  accept(fields: InboundFieldsDto, request: IdempotentRequest): Promise<IdempotentOutcome> {
    // Without a key (most requests) the publish's own promise is the answer: no async frame around it.
    if (this.windowMs === 0 || request.idempotencyKey === undefined) return this.inbound.accept(fields, request);
    return this.acceptOnce(fields, request);
  }

  private async acceptOnce(fields: InboundFieldsDto, request: IdempotentRequest): Promise<IdempotentOutcome> {
    const { scope, caller } = request;
    const key = idempotencyKeyOf(request.idempotencyKey);
    if (key === undefined) return this.inbound.accept(fields, request);
    const storeKey = scopedKey(scope, key);
    const fingerprint = requestFingerprint(fields, caller);
    const token = randomUUID();
    const existing = await this.storeCall(() => this.store.claim(scope, storeKey, fingerprint, token, this.leaseMs));
    if (existing) return this.repeat(existing, fingerprint, caller);
    let outcome: InboundOutcome;
    try {
      outcome = await this.inbound.accept(fields, request);
    } catch (error) {
      this.store.release(scope, storeKey, token).catch((e: Error) => this.logger.warn(`Releasing a key failed: ${e.message}`));
      throw error;
    }
    const { messageId } = outcome;
    const remember = (stored: StoredOutcome) => this.remember(scope, storeKey, { fingerprint, token, outcome: stored });
    if (outcome.kind === 'held') {
      // Kept once the held request has its answer (the one ApiResponder writes); one whose caller left
      // counts as timed out (see the docs).
      outcome.answer.onSettled((answer) => void remember(this.keptOutcome(storeKey, fingerprint, token, messageId, answer)));
    } else {
      await remember({ messageId });
    }
    return outcome;
  }

  private repeat(existing: IdempotencyRecord, fingerprint: string, caller: string | undefined): ReplayedOutcome {
    if (existing.fingerprint !== fingerprint) throw new IdempotencyKeyMismatchError();
    const outcome = existing.outcome;
    if (!outcome) throw new IdempotencyKeyInFlightError();
    if (outcome.answerNotKept !== undefined) {
      throw new IdempotencyAnswerNotKeptError(outcome.messageId, outcome.answerNotKept, this.maxEntryBytes);
    }
    this.events.deduplicated(caller);
    return { kind: 'replayed', messageId: outcome.messageId, ...(outcome.answer && { answer: outcome.answer }) };
  }

  /** The answer to keep; when the entry would exceed IDEMPOTENCY_MAX_ENTRY_BYTES, only the answer's size. */
  private keptOutcome(key: string, fingerprint: string, token: string, messageId: string, answer: HeldAnswer): StoredOutcome {
    const { status, contentType, body } = answer;
    const outcome: StoredOutcome = { messageId, answer: { status, contentType, body } };
    if (entryBytes(key, { fingerprint, token, outcome }) <= this.maxEntryBytes) return outcome;
    return { messageId, answerNotKept: Buffer.byteLength(body, 'utf8') };
  }

  /** The message is out: a store failure now is logged, and the caller still gets its answer. */
  private async remember(scope: string, key: string, record: Required<IdempotencyRecord>): Promise<void> {
    await this.store.complete(scope, key, record, this.windowMs).catch((error: Error) => {
      this.events.writeAtRisk('failed');
      this.logger.warn(`Storing the outcome of message ${record.outcome.messageId} failed: ${error.message}`);
    });
  }

  private async storeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const unavailable = new IdempotencyStoreUnavailableError(error);
      if (this.unavailableWarning.due()) this.logger.warn(`${unavailable.message}; requests with an Idempotency-Key get 503`);
      throw unavailable;
    }
  }
}
