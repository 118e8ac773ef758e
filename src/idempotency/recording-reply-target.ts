import { ReplyTarget } from '../pending-requests/held-request';
import { StoredAnswer } from './idempotency-store';

/**
 * A held request's response, passed through while the answer written to it
 * is recorded, so that a repeat of the request can get the same answer.
 * PendingRequestsService writes a reply, a time-out or a shutdown answer
 * with one writeHead and one end; `answered` resolves with that answer, or
 * with null when the caller went away first (nothing was answered).
 */
export class RecordingReplyTarget implements ReplyTarget {
  readonly answered: Promise<StoredAnswer | null>;
  private settle!: (answer: StoredAnswer | null) => void;
  private status = 200;
  private contentType = 'text/plain; charset=utf-8';

  constructor(private readonly response: ReplyTarget) {
    this.answered = new Promise((resolve) => (this.settle = resolve));
    response.once('close', () => this.settle(null)); // after end() this changes nothing
  }

  get writableEnded(): boolean {
    return this.response.writableEnded;
  }

  get headersSent(): boolean {
    return this.response.headersSent;
  }

  /** The request, as on Node's own response (log lines read its id from here). */
  get req(): unknown {
    return (this.response as { req?: unknown }).req;
  }

  writeHead(status: number, headers: Record<string, string | number>): unknown {
    this.status = status;
    const type = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type');
    if (type) this.contentType = String(type[1]);
    return this.response.writeHead(status, headers);
  }

  end(body?: Buffer | string): unknown {
    const text = body === undefined ? '' : typeof body === 'string' ? body : body.toString('utf8');
    this.settle({ status: this.status, contentType: this.contentType, body: text });
    return this.response.end(body);
  }

  once(event: 'close', listener: () => void): unknown {
    return this.response.once(event, listener);
  }

  removeListener(event: 'close', listener: () => void): unknown {
    return this.response.removeListener(event, listener);
  }
}
