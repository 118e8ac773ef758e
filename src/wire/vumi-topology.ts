/**
 * Vumi's AMQP topology: one durable direct exchange, queue name = routing key.
 * Only this file builds routing keys.
 */
export const VUMI_EXCHANGE = 'vumi';
export const VUMI_EXCHANGE_TYPE = 'direct';

/** AMQP routing keys and queue names are short strings: at most 255 bytes. */
export const MAX_ROUTING_KEY_BYTES = 255;

export function isValidRoutingKey(key: string): boolean {
  return Buffer.byteLength(key, 'utf8') <= MAX_ROUTING_KEY_BYTES;
}

/** Durable, and no x-arguments: a Vumi worker re-declaring a queue must not get PRECONDITION_FAILED. */
export const VUMI_QUEUE_OPTIONS = Object.freeze({ durable: true });

export interface VumiRoutingKeys {
  inbound: string;
  event: string;
  outbound: string;
  status: string;
  failures: string;
  /** The per-instance queue that other instances forward a reply to. */
  instanceOutbound(instanceId: string): string;
}

export function routingKeysFor(transportName: string): VumiRoutingKeys {
  return {
    inbound: `${transportName}.inbound`,
    event: `${transportName}.event`,
    outbound: `${transportName}.outbound`,
    // Vumi's status connector is `<transport>.status` and appends `.status`.
    status: `${transportName}.status.status`,
    failures: `${transportName}.failures`,
    instanceOutbound: (instanceId: string) => `${transportName}.outbound.${instanceId}`,
  };
}
