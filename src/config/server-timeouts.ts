import { Server } from 'node:http';
import { TransportConfig } from './transport-config';

type Timeouts = Pick<TransportConfig, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs'>;

/**
 * The HTTP time-outs of every port the service listens on (the API's, the
 * management one), set in one place before the server listens.
 */
export function applyServerTimeouts(server: Server, config: Timeouts): void {
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.requestTimeout = config.httpRequestTimeoutMs;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  // Node enforces the first two only when it sweeps its connections, every 30 s by default: a slow
  // client would hold a socket up to 30 s past them. Node reads this on 'listening'.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    config.httpHeadersTimeoutMs / 4,
  );
}
