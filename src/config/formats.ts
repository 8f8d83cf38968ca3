/** String formats several concerns' schemas share (so server/ and access/ need not import each other). */
import { isIP } from 'node:net';
import { z } from 'zod';

/** An IPv4/IPv6 address or CIDR block. */
export const cidr = z.string().refine((v) => {
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || !ip) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}, 'expected an IP address or CIDR block such as 10.0.0.0/8 or 2001:db8::/32');

/** An http:// or https:// URL. */
export function httpUrl() {
  return z.string().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'expected an http(s) URL');
}
