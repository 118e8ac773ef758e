import { Server } from 'node:http';
import { Socket } from 'node:net';
import { TransportConfig } from '../../config/transport-config';
import { normaliseAddress } from '../../config/address-list';
import { TrustedProxies } from '../../callers/identity/trusted-proxies';

type Limits = Pick<TransportConfig, 'maxConnections' | 'maxConnectionsPerAddress' | 'trustProxy'>;

/**
 * Caps the API port's open connections, in all (MAX_CONNECTIONS, Node's server.maxConnections:
 * past it Node closes a new connection at once) and per peer address (MAX_CONNECTIONS_PER_ADDRESS:
 * closed here, before a byte is read). Each open connection costs memory whatever it sends, so
 * many stalled requests from one address cannot grow the process without bound, nor take every
 * connection from the other callers (issue 21). TRUST_PROXY's proxies carry many clients'
 * connections and are bound by the total only. Returns the open connections per address (tests).
 */
export function applyConnectionLimits(server: Server, config: Limits): Map<string, number> {
  server.maxConnections = config.maxConnections;
  const limit = config.maxConnectionsPerAddress;
  const proxies = new TrustedProxies(config.trustProxy ?? []);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = normaliseAddress(socket.remoteAddress ?? '');
    if (proxies.has(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limit) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
  return open;
}
