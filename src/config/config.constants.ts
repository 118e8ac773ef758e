/** Injection token of the validated TransportConfig. */
export const TRANSPORT_CONFIG = Symbol('TRANSPORT_CONFIG');
