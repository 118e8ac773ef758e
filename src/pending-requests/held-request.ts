/** What PendingRequestsService needs of an HTTP response: the slice of Node's ServerResponse it uses. */
export interface ReplyTarget {
  readonly writableEnded: boolean;
  readonly headersSent: boolean;
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body?: Buffer | string): unknown;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

export interface HeldRequest {
  readonly messageId: string;
  readonly toAddr: string;
  /** Whose share of the slots it takes (ClientIdentity.scopeOf: `caller:<name>` or `addr:<address>`). */
  readonly scope: string;
  /** performance.now() at hold time, in ms. */
  readonly startedAt: number;
  readonly target: ReplyTarget;
  readonly onClose: () => void;
}

export type FinishReason = 'reply' | 'timeout' | 'shutdown';

export interface FinishedRequest {
  readonly reason: FinishReason;
  readonly seconds: number;
  readonly status: number;
}
