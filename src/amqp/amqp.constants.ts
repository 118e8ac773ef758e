/** Injection token of the amqp-connection-manager connection. */
export const AMQP_CONNECTION = Symbol('AMQP_CONNECTION');
