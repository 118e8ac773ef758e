/** The bound on held requests (MAX_PENDING_REQUESTS) is reached; callers answer 503. */
export class TooManyPendingRequestsError extends Error {
  constructor(readonly limit: number) {
    super(`Too many held requests (limit ${limit})`);
    this.name = 'TooManyPendingRequestsError';
  }
}
