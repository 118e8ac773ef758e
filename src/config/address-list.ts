import { isIP } from 'node:net';

/** One TRUST_PROXY entry: an address, or a subnet when `prefix` is set. */
export interface AddressOrCidr {
  address: string;
  family: 'ipv4' | 'ipv6';
  prefix?: number;
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else unchanged (trimmed). */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim();
  const mapped = MAPPED_IPV4.exec(trimmed);
  return mapped ? mapped[1] : trimmed;
}

/**
 * An address or CIDR, IPv4 or IPv6, or null. Here (not in callers/identity/)
 * because TRUST_PROXY is checked at boot with the rest of the configuration.
 */
export function parseAddressOrCidr(entry: string): AddressOrCidr | null {
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

/** Whether every entry of a TRUST_PROXY list is an address or a CIDR. */
export function isAddressOrCidrList(value: unknown): boolean {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string' && parseAddressOrCidr(entry) !== null);
}
