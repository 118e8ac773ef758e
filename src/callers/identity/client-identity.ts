import { Inject, Injectable } from '@nestjs/common';
import { isIP } from 'node:net';
import { Request } from 'express';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { callerOf } from './caller';
import { normaliseAddress } from '../../config/address-list';
import { TrustedProxies } from './trusted-proxies';

/** Hops of X-Forwarded-For examined at most: a long forged list costs nothing beyond them. */
const MAX_HOPS = 32;

const ADDRESS = Symbol('clientAddress');

interface AddressMemo {
  [ADDRESS]?: string;
}

/**
 * Who a request comes from, for every per-client limit (rate limits, failed
 * authentications, held slots, idempotency scopes). The address is the TCP
 * peer's unless that peer is a trusted proxy (TRUST_PROXY); then
 * X-Forwarded-For is read from the right, skipping trusted hops, and the
 * first untrusted hop is the client. Only the right-most hops were written by
 * proxies we trust; anything left of the first untrusted one is whatever the
 * client chose to send, so it is never used. When no hop is untrusted (or one
 * is not an address), the client is the peer itself: a trusted range may hold
 * callers as well as proxies, and any of them can write a list of in-range
 * hops to look like a new client on every request.
 */
@Injectable()
export class ClientIdentity {
  private readonly trusted: TrustedProxies;

  constructor(@Inject(TRANSPORT_CONFIG) config: Pick<TransportConfig, 'trustProxy'>) {
    this.trusted = new TrustedProxies(config.trustProxy ?? []);
  }

  /** The client's address (computed once per request). */
  addressOf(req: Request): string {
    const memo = req as unknown as AddressMemo;
    return (memo[ADDRESS] ??= this.resolve(req));
  }

  /** `caller:<name>` for an authenticated caller, else `addr:<address>`: the key of every per-client share. */
  scopeOf(req: Request): string {
    const caller = callerOf(req);
    return caller ? `caller:${caller.name}` : `addr:${this.addressOf(req)}`;
  }

  private resolve(req: Request): string {
    const peer = normaliseAddress(req.socket?.remoteAddress ?? '') || 'unknown';
    if (!this.trusted.has(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
    for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
      const hop = normaliseAddress(hops[i]);
      if (hop === '') continue;
      // A hop that is not an address was not written by a sane proxy: nothing left of it is believed.
      if (isIP(hop) === 0) return peer;
      if (!this.trusted.has(hop)) return hop;
    }
    // Every hop examined is "trusted", so none of them is known to be a proxy's writing rather than
    // the sender's own: a peer inside a wide range (TRUST_PROXY=10.0.0.0/8) can write any list of
    // in-range addresses. Only the TCP peer is certain, so it is the client (issue 21).
    return peer;
  }
}
