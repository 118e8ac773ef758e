import { Request } from 'express';
import { InvalidConfigError, loadConfig } from '../../config/config-loader';
import { attachCaller } from './caller';
import { ClientIdentity } from './client-identity';
import { TrustedProxies } from './trusted-proxies';

function request(peer: string | undefined, forwardedFor?: string | string[]): Request {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress: peer }, headers } as unknown as Request;
}

const identity = (...trustProxy: string[]) => new ClientIdentity({ trustProxy });

describe('TrustedProxies', () => {
  it('matches addresses and CIDRs of both families, and mapped IPv4 as IPv4', () => {
    const trusted = new TrustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1', '::ffff:172.16.0.0/108']);
    expect(trusted.has('10.200.3.4')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('192.168.1.7')).toBe(true);
    expect(trusted.has('192.168.1.8')).toBe(false);
    expect(trusted.has('fd12:3456::1')).toBe(true);
    expect(trusted.has('fe80::1')).toBe(false);
    expect(trusted.has('::1')).toBe(true);
    expect(trusted.has('172.16.9.9')).toBe(true); // ::ffff:172.16.0.0/108 is 172.16.0.0/12
    expect(trusted.has('172.32.0.1')).toBe(false);
    expect(trusted.has('not an address')).toBe(false);
  });

  it('trusts nobody when empty', () => {
    expect(new TrustedProxies([]).has('127.0.0.1')).toBe(false);
  });
});

describe('TRUST_PROXY in the configuration', () => {
  it('defaults to trusting nobody and reads a comma-separated list', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.1/8/1', 'fd00::/129', '10.0.0.0/x'])('refuses %s at boot in one line', (bad) => {
    expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(InvalidConfigError);
    try {
      loadConfig({ TRUST_PROXY: bad });
    } catch (error) {
      expect((error as InvalidConfigError).problems).toEqual([
        expect.stringMatching(/^TRUST_PROXY: must be a list of IPv4\/IPv6 addresses or CIDRs/),
      ]);
    }
  });
});

describe('ClientIdentity.addressOf', () => {
  it('is the peer, and X-Forwarded-For is ignored, when nobody is trusted', () => {
    expect(identity().addressOf(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not trusted', () => {
    expect(identity('10.0.0.0/8').addressOf(request('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted hop behind trusted proxies', () => {
    const who = identity('10.0.0.0/8');
    // The client forged "1.1.1.1"; the Ingress (10.0.0.2) appended the address it saw, 198.51.100.7.
    expect(who.addressOf(request('10.0.0.2', '1.1.1.1, 198.51.100.7'))).toBe('198.51.100.7');
    // Two trusted proxies in a row are skipped.
    expect(who.addressOf(request('10.0.0.2', '1.1.1.1, 198.51.100.7, 10.1.2.3'))).toBe('198.51.100.7');
    // Several header lines count as one list, in order.
    expect(who.addressOf(request('10.0.0.2', ['1.1.1.1', '198.51.100.8']))).toBe('198.51.100.8');
  });

  it('is the peer when the header is absent, every hop is trusted, or a hop is not an address', () => {
    const who = identity('10.0.0.0/8');
    expect(who.addressOf(request('10.0.0.2'))).toBe('10.0.0.2');
    expect(who.addressOf(request('10.0.0.2', '10.9.9.9'))).toBe('10.0.0.2');
    expect(who.addressOf(request('10.0.0.2', '198.51.100.7, garbage'))).toBe('10.0.0.2');
    expect(who.addressOf(request('10.0.0.2', 'garbage, 10.9.9.9'))).toBe('10.0.0.2');
  });

  it('cannot be talked into a new address by a peer inside a trusted range (issue 21)', () => {
    // An in-cluster caller talking to the pod directly, writing a fresh in-range hop each time.
    const who = identity('10.0.0.0/8');
    const seen = new Set(Array.from({ length: 30 }, (_, n) => who.addressOf(request('10.0.0.2', `10.0.9.${n}, 10.0.8.${n}`))));
    expect([...seen]).toEqual(['10.0.0.2']);
  });

  it('reads mapped IPv4 and IPv6 peers', () => {
    expect(identity().addressOf(request('::ffff:203.0.113.9'))).toBe('203.0.113.9');
    expect(identity('::1').addressOf(request('::1', '2001:db8::5'))).toBe('2001:db8::5');
    expect(identity('127.0.0.1').addressOf(request('::ffff:127.0.0.1', '::ffff:198.51.100.3'))).toBe('198.51.100.3');
  });

  it('looks only at the last 32 hops of a long forged list', () => {
    const forged = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(',');
    expect(identity('10.0.0.0/8').addressOf(request('10.0.0.2', `198.51.100.7,${forged}`))).toBe('10.0.0.2');
  });

  it('computes the address once per request', () => {
    const req = request('10.0.0.2', '198.51.100.7');
    const who = identity('10.0.0.0/8');
    expect(who.addressOf(req)).toBe('198.51.100.7');
    req.headers['x-forwarded-for'] = '198.51.100.99';
    expect(who.addressOf(req)).toBe('198.51.100.7');
  });

  it('says unknown for a socket without an address (already closed)', () => {
    expect(identity().addressOf(request(undefined))).toBe('unknown');
  });
});

describe('ClientIdentity.scopeOf', () => {
  it('is the caller for an authenticated request, else the address', () => {
    const req = request('203.0.113.9');
    expect(identity().scopeOf(req)).toBe('addr:203.0.113.9');
    attachCaller(req, { name: 'shop' });
    expect(identity().scopeOf(req)).toBe('caller:shop');
  });
});
