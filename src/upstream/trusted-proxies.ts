/**
 * Which peers are believed when they say who the client is (server.trustedProxies), compiled
 * once into a BlockList, and the client address derived from X-Forwarded-For through them.
 */
import { BlockList, isIP } from 'node:net';

export interface TrustedProxies {
  isTrusted(address: string): boolean;
}

export function createTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  if (cidrs.length === 0) return { isTrusted: () => false };
  const list = new BlockList();
  for (const entry of cidrs) {
    const [ip, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return {
    isTrusted(address: string): boolean {
      const family = isIP(address);
      if (family === 0) return false;
      return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/**
 * The client address: the peer itself, unless the peer is a trusted proxy, in which case the
 * X-Forwarded-For chain is walked from the right past trusted proxies; the first address not
 * trusted is the client. A client can therefore never choose its own address by sending
 * X-Forwarded-For unless it connects from a trusted proxy.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  if (forwardedFor === undefined || !trusted.isTrusted(peer)) return peer;
  const hops = forwardedFor.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted.isTrusted(hop)) break;
  }
  return client;
}
