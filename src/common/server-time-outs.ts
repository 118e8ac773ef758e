import { Duplex } from 'node:stream';

/**
 * Sockets whose request the server itself cut off (HTTP_REQUEST_TIMEOUT), so that the metrics count
 * the request as 408, not as a caller that hung up (499): a slow-body attack must show as one.
 */
const timedOut = new WeakSet<Duplex>();

export function markTimedOutByServer(socket: Duplex): void {
  timedOut.add(socket);
}

export function timedOutByServer(socket: Duplex | null | undefined): boolean {
  return socket != null && timedOut.has(socket);
}
