import { ApiRefusal } from '../common/api-refusal';

/** The broker could not take a message in time; callers answer 503 with Retry-After. */
export class BrokerUnavailableError extends ApiRefusal {
  readonly status = 503;
  readonly code = 'broker_unavailable';
  override readonly answerMessage = 'The message broker did not accept the message; retry later';
  constructor(
    readonly reason: 'disconnected' | 'timeout' | 'overloaded' | 'rejected' | 'closing',
    readonly routingKey: string,
    cause?: unknown,
  ) {
    super(`Broker unavailable (${reason}) publishing to ${routingKey}`, { cause });
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * A routing key AMQP cannot carry (over 255 bytes). Refused before it reaches
 * amqplib, whose confirm channel would register the publish's confirm and then
 * throw while encoding it, pairing every later confirm with the wrong publish.
 */
export class InvalidRoutingKeyError extends Error {
  constructor(readonly routingKey: string) {
    const bytes = Buffer.byteLength(routingKey, 'utf8');
    super(`Routing key of ${bytes} bytes exceeds AMQP's 255 (${routingKey.slice(0, 60)}...)`);
    this.name = 'InvalidRoutingKeyError';
  }
}
