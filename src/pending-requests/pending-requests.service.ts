import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { FinishReason, FinishedRequest, HeldRequest, ReplyTarget } from './held-request';
import { TooManyPendingForClientError, TooManyPendingRequestsError } from './pending-requests.errors';
import { maxPendingPerClientOf } from './client-shares';
import { requestIdOf } from '../logging/request-id';

type FinishListener = (finished: FinishedRequest) => void;

/** Why a request was refused a slot: the instance is full, or its client has its whole share. */
export type RefusalReason = 'full' | 'client_share';
type RefusalListener = (reason: RefusalReason) => void;

/**
 * Holds the HTTP requests waiting for their application's reply, by message id.
 *
 * Each held request leaves exactly once: through a reply, a time-out, a client
 * disconnect or shutdown. Every request waits the same `request_timeout`, so
 * insertion order is expiry order: a sweep walks the Map from its oldest entry
 * and stops at the first that has not expired, costing time in proportion to
 * what expires rather than to what is held.
 *
 * Each client (scope) has at most MAX_PENDING_PER_CLIENT slots, so that one
 * client cannot take them all; its count goes down exactly once per held
 * request, in `forget`, the one place a request leaves the Map.
 */
@Injectable()
export class PendingRequestsService implements OnModuleDestroy {
  private readonly logger = new Logger('PendingRequests');
  private readonly held = new Map<string, HeldRequest>();
  private readonly timeoutMs: number;
  private readonly timeoutHeaders: Record<string, string | number>;
  private readonly timeoutBody: Buffer;
  private readonly finishListeners: FinishListener[] = [];
  private readonly disconnectListeners: Array<() => void> = [];
  private readonly refusalListeners: RefusalListener[] = [];
  /** Held requests per scope; a scope with none has no entry (the Map stays as small as the clients holding). */
  private readonly perScope = new Map<string, number>();
  private readonly maxPerClient: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private disconnectCount = 0;

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {
    this.timeoutMs = config.requestTimeout * 1000;
    this.maxPerClient = maxPendingPerClientOf(config);
    this.timeoutBody = Buffer.from(config.requestTimeoutBody, 'utf8');
    this.timeoutHeaders = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': this.timeoutBody.length,
    };
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

  /** The per-client cap in force (MAX_PENDING_PER_CLIENT, or a quarter of MAX_PENDING_REQUESTS). */
  get maxPendingPerClient(): number {
    return this.maxPerClient;
  }

  /**
   * Throws unless `scope` may hold one more request: the cheap check made before a message is built.
   * Counted for metrics as a refusal.
   */
  admit(scope: string): void {
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
  onRefusal(listener: RefusalListener): void {
    this.refusalListeners.push(listener);
  }

  /** Starts the time-out schedule; with `request_cleanup_interval < 1` requests wait forever (Vumi). */
  startSweeping(): void {
    if (this.config.requestCleanupInterval < 1 || this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.config.requestCleanupInterval * 1000);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  onFinish(listener: FinishListener): void {
    this.finishListeners.push(listener);
  }

  /** Observes held requests dropped because their caller went away (metrics). */
  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }

  /** Holds a request before its message is published, so that even an instant reply finds it. */
  hold(messageId: string, toAddr: string, target: ReplyTarget, scope: string): void {
    this.admit(scope);
    const onClose = () => this.dropDisconnected(messageId);
    // An own copy of to_addr: a slice of the parsed body would keep the whole body's string alive.
    const to = Buffer.from(toAddr, 'utf8').toString('utf8');
    this.held.set(messageId, { messageId, toAddr: to, scope, startedAt: performance.now(), target, onClose });
    this.perScope.set(scope, this.heldBy(scope) + 1);
    target.once('close', onClose);
  }

  has(messageId: string): boolean {
    return this.held.has(messageId);
  }

  /** Releases a held request without answering it (its publish failed; the caller gets a 503 instead). */
  release(messageId: string): void {
    const request = this.held.get(messageId);
    if (!request) return;
    this.forget(request);
    request.target.removeListener('close', request.onClose);
  }

  /** Answers a held request with the application's reply; false when none is held under that id. */
  finishWithReply(messageId: string, content: string): boolean {
    const body = Buffer.from(content, 'utf8');
    return this.finish(messageId, 'reply', 200, body, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': body.length,
    });
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

  private timeOut(request: HeldRequest, reason: FinishReason): void {
    // Vumi's own wording, plus the ids that tie the line to its message and HTTP request.
    this.logger.warn({ msg: `Timing out ${request.toAddr}`, message_id: request.messageId, ...requestIdOf(request.target), reason });
    this.finish(request.messageId, reason, this.config.requestTimeoutStatusCode, this.timeoutBody, this.timeoutHeaders);
  }

  private finish(
    messageId: string,
    reason: FinishReason,
    status: number,
    body: Buffer,
    headers: Record<string, string | number>,
  ): boolean {
    const request = this.held.get(messageId);
    if (!request) return false;
    this.forget(request);
    const { target } = request;
    target.removeListener('close', request.onClose);
    if (target.writableEnded || target.headersSent) return false;
    target.writeHead(status, headers);
    target.end(body);
    const seconds = (performance.now() - request.startedAt) / 1000;
    for (const listener of this.finishListeners) listener({ reason, seconds, status });
    return true;
  }

  /** The one way out of the Map: the request's slot, and its client's, are given back exactly once. */
  private forget(request: HeldRequest): void {
    if (!this.held.delete(request.messageId)) return;
    const count = this.heldBy(request.scope) - 1;
    if (count > 0) this.perScope.set(request.scope, count);
    else this.perScope.delete(request.scope);
  }

  private refused(reason: RefusalReason): void {
    for (const listener of this.refusalListeners) listener(reason);
  }

  private dropDisconnected(messageId: string): void {
    const request = this.held.get(messageId);
    if (!request || request.target.writableEnded) return;
    this.forget(request);
    this.disconnectCount++;
    for (const listener of this.disconnectListeners) listener();
    this.logger.debug({ msg: 'Caller disconnected; held request dropped', message_id: messageId, ...requestIdOf(request.target) });
  }
}
