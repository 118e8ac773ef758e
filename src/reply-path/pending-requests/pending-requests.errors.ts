import { ApiRefusal } from '../../common/api-refusal';

/** The bound on held requests (MAX_PENDING_REQUESTS) is reached; callers answer 503. */
export class TooManyPendingRequestsError extends ApiRefusal {
  readonly status = 503;
  readonly code: string = 'overloaded';
  override readonly answerMessage = 'Too many requests are waiting for replies; retry later';

  constructor(readonly limit: number) {
    super(`Too many held requests (limit ${limit})`);
    this.name = 'TooManyPendingRequestsError';
  }
}

/** One client (caller or address) holds MAX_PENDING_PER_CLIENT requests already; it answers 503, others are unaffected. */
export class TooManyPendingForClientError extends TooManyPendingRequestsError {
  constructor(readonly clientLimit: number) {
    super(clientLimit);
    this.message = `Too many held requests for this client (limit ${clientLimit} per client)`;
    this.name = 'TooManyPendingForClientError';
  }
}
