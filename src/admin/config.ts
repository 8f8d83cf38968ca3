/**
 * Schema for `admin`: the separate listener of the admin API and /metrics. Off unless
 * configured. Anyone who reaches it can reload the config and drain targets, so off loopback a
 * bearer token is required (a config error otherwise, never a silent open port).
 */
import { z } from 'zod';
import { ADDRESS_PATTERN, parseAddress } from '../server/config.js';

/** True for an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isLoopbackAddress(address: string): boolean {
  try {
    return isLoopbackHost(parseAddress(address).host);
  } catch {
    return true; // an invalid address is reported by its own check
  }
}

export const adminSchema = z
  .strictObject({
    address: z
      .string()
      .refine((v) => {
        const m = ADDRESS_PATTERN.exec(v);
        return m !== null && Number(m[2]) <= 65535;
      }, 'expected host:port, [ipv6]:port or :port (port 0-65535)')
      .describe('Address of the admin listener (dashboard API, /metrics), e.g. 127.0.0.1:9901. Not changed by a reload.'),
    token: z
      .string()
      .optional()
      .describe('Bearer token for every admin request (compared in constant time). Required when the address is not loopback; an empty value means none.'),
  })
  .superRefine((admin, ctx) => {
    if (!isLoopbackAddress(admin.address) && (admin.token ?? '') === '') {
      ctx.addIssue({ code: 'custom', path: ['token'], message: `a token is required: the admin listener ${admin.address} is not on loopback` });
    }
  });

export type AdminConfig = z.output<typeof adminSchema>;
