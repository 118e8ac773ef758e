/**
 * The names of Vumi's AMQP topology: one exchange, queue name = routing key.
 * Only this file builds routing keys; the declarations (exchange type, queue
 * arguments, bindings) are src/broker/amqp-topology.ts.
 */
export const VUMI_EXCHANGE = 'vumi';

/** AMQP routing keys and queue names are short strings: at most 255 bytes. */
export const MAX_ROUTING_KEY_BYTES = 255;

export function isValidRoutingKey(key: string): boolean {
  return Buffer.byteLength(key, 'utf8') <= MAX_ROUTING_KEY_BYTES;
}

export interface VumiRoutingKeys {
  inbound: string;
  event: string;
  outbound: string;
  status: string;
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
    instanceOutbound: (instanceId: string) => `${transportName}.outbound.${instanceId}`,
  };
}
