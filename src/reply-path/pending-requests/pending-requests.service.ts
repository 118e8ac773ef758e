import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { HandOff } from '../../common/hand-off';
import { Listeners } from '../../common/listeners';
import { CLIENT_GONE, ClientWatch, FinishedRequest, FinishReason, HeldOutcome, HeldRequest, SHUT_DOWN, TIMED_OUT } from './held-request';
import { TooManyPendingForClientError, TooManyPendingRequestsError } from './pending-requests.errors';
import { maxPendingPerClientOf } from './client-shares';
import { CompleteReply } from '../../wire/reply-answer';

/** Why a request was refused a slot: the instance is full, or its client has its whole share. */
export type RefusalReason = 'full' | 'client_share';

/**
 * Holds the HTTP requests waiting for their application's reply, by message id.
 *
 * `hold()` returns a hand-off of the request's one outcome: a reply, a time-out, shutdown, or its
 * caller gone. It settles exactly once, in `settle`, the one way out of the Map, where the
 * request's slot and its client's are given back; its listeners run inside `settle` (HandOff), so
 * when finishWithReply returns, the HTTP layer has written its answer (ApiResponder), if it was
 * listening already. Nothing here writes HTTP.
 *
 * Every request waits the same `request_timeout`, so insertion order is expiry order: a sweep walks
 * the Map from its oldest entry and stops at the first that has not expired, costing time in
 * proportion to what expires rather than to what is held.
 *
 * Each client (scope) has at most MAX_PENDING_PER_CLIENT slots, so that one client cannot take them
 * all.
 */
@Injectable()
export class PendingRequestsService implements OnModuleDestroy {
  private readonly logger = new Logger('PendingRequests');
  private readonly held = new Map<string, HeldRequest>();
  private readonly timeoutMs: number;
  private readonly finished = new Listeners<[FinishedRequest]>();
  private readonly disconnected = new Listeners<[]>();
  private readonly refusals = new Listeners<[RefusalReason]>();
  /** Held requests per scope; a scope with none has no entry (the Map stays as small as the clients holding). */
  private readonly perScope = new Map<string, number>();
  private readonly maxPerClient: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private disconnectCount = 0;

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {
    this.timeoutMs = config.requestTimeoutMs;
    this.maxPerClient = maxPendingPerClientOf(config);
  }

  get size(): number {
    return this.held.size;
  }

  /** Held requests dropped because their caller went away. */
  get disconnects(): number {
    return this.disconnectCount;
  }

  get isFull(): boolean {
    return this.held.size >= this.config.maxPendingRequests;
  }

  /** Held requests of one scope now. */
  heldBy(scope: string): number {
    return this.perScope.get(scope) ?? 0;
  }

  /** Held requests per scope now (the metrics read it at scrape time: nothing is counted per request for them). */
  get heldPerScope(): ReadonlyMap<string, number> {
    return this.perScope;
  }

  /** The per-client cap in force (MAX_PENDING_PER_CLIENT, or a quarter of MAX_PENDING_REQUESTS). */
  get maxPendingPerClient(): number {
    return this.maxPerClient;
  }

  /**
   * Throws unless `scope` may hold one more request; counted for metrics as a refusal. hold() asks
   * before anything is taken, and the API path asks before it reads a body (a request that could
   * not be held costs no body bytes); nothing is reserved, so hold() asks again.
   */
  refuseUnlessRoomFor(scope: string): void {
    if (this.isFull) {
      this.refused('full');
      throw new TooManyPendingRequestsError(this.config.maxPendingRequests);
    }
    if (this.heldBy(scope) >= this.maxPerClient) {
      this.refused('client_share');
      throw new TooManyPendingForClientError(this.maxPerClient);
    }
  }

  /** Observes refused slots (metrics), by reason. */
  onRefusal(listener: (reason: RefusalReason) => void): void {
    this.refusals.add(listener);
  }

  /** Starts the time-out schedule; with `request_cleanup_interval < 1` requests wait forever (Vumi). */
  startSweeping(): void {
    if (this.config.requestCleanupInterval < 1 || this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.config.requestCleanupIntervalMs);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Observes requests answered by a reply, a time-out or shutdown (status, metrics). */
  onFinish(listener: (finished: FinishedRequest) => void): void {
    this.finished.add(listener);
  }

  /** Observes held requests dropped because their caller went away (metrics). */
  onDisconnect(listener: () => void): void {
    this.disconnected.add(listener);
  }

  /**
   * Holds a request before its message is built and published, so that even an instant reply finds
   * it, and a refusal (TooManyPendingRequestsError, TooManyPendingForClientError) costs no message.
   * `client`, when given, reports the caller gone (the outcome is then `gone`); `requestId` names
   * the request in log lines.
   */
  hold(messageId: string, toAddr: string, scope: string, client?: ClientWatch, requestId?: string): HandOff<HeldOutcome> {
    this.refuseUnlessRoomFor(scope);
    // An own copy of to_addr: a slice of the parsed body would keep the whole body's string alive.
    // V8 copies substrings shorter than 13 characters anyway (no slices below that): those need no copy.
    const to = toAddr.length < 13 ? toAddr : Buffer.from(toAddr, 'utf8').toString('utf8');
    const onGone = () => this.abandon(messageId);
    const outcome = new HandOff<HeldOutcome>();
    this.held.set(messageId, { messageId, toAddr: to, scope, startedAt: performance.now(), outcome, client, requestId, onGone });
    this.perScope.set(scope, this.heldBy(scope) + 1);
    client?.watch(onGone);
    return outcome;
  }

  has(messageId: string): boolean {
    return this.held.has(messageId);
  }

  /** Lets go of a held request without an outcome (its publish failed; the caller gets a 503 instead). */
  release(messageId: string): void {
    const request = this.held.get(messageId);
    if (request) this.leave(request);
  }

  /**
   * Settles the held request `reply.in_reply_to` names with the application's reply; false when
   * none is held under that id. When it returns, the outcome's listeners have run: the HTTP answer
   * is written (ReplyDispatcher publishes the `ack` event only then).
   */
  finishWithReply(reply: CompleteReply): boolean {
    const request = this.held.get(reply.in_reply_to);
    if (!request) return false;
    this.settle(request, { kind: 'reply', reply }, 'reply', 200);
    return true;
  }

  /** The caller went away before an outcome (the HTTP layer's 'close'): the request leaves, counted. */
  abandon(messageId: string): void {
    const request = this.held.get(messageId);
    if (!request) return;
    this.disconnectCount++;
    this.disconnected.emit();
    this.logger.debug({ msg: 'Caller disconnected; held request dropped', message_id: messageId, ...requestIdOf(request) });
    this.settle(request, CLIENT_GONE);
  }

  /** Answers every request older than request_timeout; returns how many. */
  sweep(now: number = performance.now()): number {
    let expired = 0;
    for (const request of this.held.values()) {
      if (now - request.startedAt < this.timeoutMs) break;
      this.timeOut(request, 'timeout');
      expired++;
    }
    return expired;
  }

  /** Waits up to `ms` for held requests to be answered, then answers the rest with the time-out status. */
  async drain(ms: number): Promise<number> {
    const deadline = performance.now() + ms;
    while (this.held.size > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - performance.now()))));
    }
    const left = this.held.size;
    for (const request of [...this.held.values()]) this.timeOut(request, 'shutdown');
    return left;
  }

  onModuleDestroy(): void {
    this.stopSweeping();
    for (const request of [...this.held.values()]) this.timeOut(request, 'shutdown');
  }

  private timeOut(request: HeldRequest, reason: 'timeout' | 'shutdown'): void {
    // Vumi's own wording, plus the ids that tie the line to its message and HTTP request.
    this.logger.warn({ msg: `Timing out ${request.toAddr}`, message_id: request.messageId, ...requestIdOf(request), reason });
    this.settle(request, reason === 'timeout' ? TIMED_OUT : SHUT_DOWN, reason, this.config.requestTimeoutStatusCode);
  }

  /** The one outcome of a held request: it leaves, observers learn how (unless its caller left), it settles. */
  private settle(request: HeldRequest, outcome: HeldOutcome, reason?: FinishReason, status?: number): void {
    this.leave(request);
    if (reason !== undefined && status !== undefined) {
      const seconds = (performance.now() - request.startedAt) / 1000;
      this.finished.emit({ reason, seconds, status });
    }
    request.outcome.settle(outcome);
  }

  /** The one way out of the Map: the request's slot, and its client's, are given back exactly once. */
  private leave(request: HeldRequest): void {
    if (!this.held.delete(request.messageId)) return;
    request.client?.unwatch(request.onGone);
    const count = this.heldBy(request.scope) - 1;
    if (count > 0) this.perScope.set(request.scope, count);
    else this.perScope.delete(request.scope);
  }

  private refused(reason: RefusalReason): void {
    this.refusals.emit(reason);
  }
}

/** `{ request_id }` for a log line about a held request, when its HTTP layer named one. */
function requestIdOf(request: HeldRequest): { request_id?: string } {
  const id = request.requestId;
  return id === undefined ? {} : { request_id: id };
}
