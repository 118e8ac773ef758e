import { ServerResponse } from 'node:http';
import { ClientWatch } from '../../reply-path/pending-requests/held-request';

/**
 * A held request's "client gone" hook over its response: Node emits 'close' on a response whose
 * connection went away before it ended (and after an end, by which time PendingRequestsService
 * has stopped watching). Methods on the prototype: per request it costs one small object.
 */
export class ResponseCloseWatch implements ClientWatch {
  constructor(private readonly res: ServerResponse) {}

  watch(onGone: () => void): void {
    this.res.once('close', onGone);
  }

  unwatch(onGone: () => void): void {
    this.res.removeListener('close', onGone);
  }
}
