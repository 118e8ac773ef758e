import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { FinishReason, FinishedRequest, HeldRequest, ReplyTarget } from './held-request';
import { TooManyPendingRequestsError } from './pending-requests.errors';
import { requestIdOf } from '../logging/request-id';

type FinishListener = (finished: FinishedRequest) => void;

/**
 * Holds the HTTP requests waiting for their application's reply, by message id.
 *
 * Each held request leaves exactly once: through a reply, a time-out, a client
 * disconnect or shutdown. Every request waits the same `request_timeout`, so
 * insertion order is expiry order: a sweep walks the Map from its oldest entry
 * and stops at the first that has not expired, costing time in proportion to
 * what expires rather than to what is held.
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
  private sweepTimer: NodeJS.Timeout | undefined;
  private disconnectCount = 0;

  constructor(@Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig) {
    this.timeoutMs = config.requestTimeout * 1000;
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
  hold(messageId: string, toAddr: string, target: ReplyTarget): void {
    if (this.isFull) throw new TooManyPendingRequestsError(this.config.maxPendingRequests);
    const onClose = () => this.dropDisconnected(messageId);
    this.held.set(messageId, { messageId, toAddr, startedAt: performance.now(), target, onClose });
    target.once('close', onClose);
  }

  has(messageId: string): boolean {
    return this.held.has(messageId);
  }

  /** Releases a held request without answering it (its publish failed; the caller gets a 503 instead). */
  release(messageId: string): void {
    const request = this.held.get(messageId);
    if (!request) return;
    this.held.delete(messageId);
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
    this.held.delete(messageId);
    const { target } = request;
    target.removeListener('close', request.onClose);
    if (target.writableEnded || target.headersSent) return false;
    target.writeHead(status, headers);
    target.end(body);
    const seconds = (performance.now() - request.startedAt) / 1000;
    for (const listener of this.finishListeners) listener({ reason, seconds, status });
    return true;
  }

  private dropDisconnected(messageId: string): void {
    const request = this.held.get(messageId);
    if (!request || request.target.writableEnded) return;
    this.held.delete(messageId);
    this.disconnectCount++;
    for (const listener of this.disconnectListeners) listener();
    this.logger.debug({ msg: 'Caller disconnected; held request dropped', message_id: messageId, ...requestIdOf(request.target) });
  }
}
