import { BlockList, isIP } from 'node:net';
import { registerDecorator, ValidationOptions } from 'class-validator';

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
      const parsed = parseEntry(entry);
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

interface ParsedEntry {
  address: string;
  family: 'ipv4' | 'ipv6';
  prefix?: number;
}

function parseEntry(entry: string): ParsedEntry | null {
  const [rawAddress, rawPrefix, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || rawAddress === undefined) return null;
  const address = normaliseAddress(rawAddress);
  const version = isIP(address);
  if (version === 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (rawPrefix === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(rawPrefix)) return null;
  // A mapped IPv6 CIDR (::ffff:10.0.0.0/104) became IPv4: its prefix loses the 96 mapped bits.
  const mapped = version === 4 && isIP(rawAddress) === 6;
  const prefix = Number(rawPrefix) - (mapped ? 96 : 0);
  if (prefix < 0 || prefix > (version === 4 ? 32 : 128)) return null;
  return { address, family, prefix };
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else unchanged (trimmed). */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = MAPPED_IPV4.exec(trimmed);
  return mapped ? mapped[1] : trimmed;
}

/** Whether every entry of a TRUST_PROXY list is an address or a CIDR. */
export function isAddressOrCidrList(value: unknown): boolean {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string' && parseEntry(entry) !== null);
}

/** class-validator decorator for TRUST_PROXY (used by TransportConfig). */
export function IsAddressOrCidrList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAddressOrCidrList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a list of IPv4/IPv6 addresses or CIDRs (e.g. 10.0.0.0/8, fd00::/8)', ...options },
      validator: { validate: isAddressOrCidrList },
    });
}
