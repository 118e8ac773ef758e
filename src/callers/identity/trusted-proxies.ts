import { BlockList, isIP } from 'node:net';
import { parseAddressOrCidr } from '../../config/address-list';

/**
 * The peers whose `X-Forwarded-For` is believed (TRUST_PROXY): addresses and
 * CIDRs, IPv4 and IPv6, in node:net's BlockList (which matches an address
 * against subnets without string tricks). An IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports) is matched as the
 * IPv4 address it carries, so one entry covers both spellings.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseAddressOrCidr(entry);
      if (!parsed) throw new Error(`TRUST_PROXY: "${entry}" is not an address or CIDR`);
      if (parsed.prefix === undefined) this.list.addAddress(parsed.address, parsed.family);
      else this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.empty = entries.length === 0;
  }

  /** Whether `address` (already normalised by normaliseAddress) is a trusted proxy. */
  has(address: string): boolean {
    if (this.empty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}
