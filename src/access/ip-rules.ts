/**
 * IP allow / deny rules, compiled once into net.BlockList (never parsed per request).
 *
 * Checked against the client address the pipeline derived through server.trustedProxies, so a
 * client that is not behind a trusted proxy cannot choose its address with X-Forwarded-For.
 * Deny wins; with an allow list, anything not allowed is denied; an address that cannot be
 * parsed is denied (deny when in doubt). BlockList matches IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) against IPv4 rules and the other way round.
 */
import { BlockList, isIP } from 'node:net';

export interface IpRules {
  /** Whether the address may use the route. */
  allows(address: string): boolean;
}

function compile(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}

/** The rules of one route, or undefined when it has none. Entries are validated by the schema. */
export function createIpRules(allow: readonly string[] | undefined, deny: readonly string[]): IpRules | undefined {
  if (allow === undefined && deny.length === 0) return undefined;
  const allowList = allow === undefined ? undefined : compile(allow);
  const denyList = deny.length === 0 ? undefined : compile(deny);
  return {
    allows(address: string): boolean {
      // A zone index (fe80::1%eth0) is not part of the address BlockList compares.
      const zone = address.indexOf('%');
      const ip = zone === -1 ? address : address.slice(0, zone);
      const family = isIP(ip);
      if (family === 0) return false;
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (denyList !== undefined && denyList.check(ip, type)) return false;
      return allowList === undefined || allowList.check(ip, type);
    },
  };
}
