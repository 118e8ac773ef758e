/** The broker could not take a message in time; callers answer 503 with Retry-After. */
export class BrokerUnavailableError extends Error {
  constructor(
    readonly reason: 'disconnected' | 'timeout' | 'overloaded' | 'rejected' | 'closing',
    readonly routingKey: string,
    cause?: unknown,
  ) {
    super(`Broker unavailable (${reason}) publishing to ${routingKey}`, { cause });
    this.name = 'BrokerUnavailableError';
  }
}
