/** Schema for the balancing keys of `upstreams.<name>`: policy, hash key, sticky sessions, slow start. */
import { z } from 'zod';
import { duration } from '../config/units.js';

export const BALANCER_NAMES = ['roundRobin', 'leastConnections', 'leastLatency', 'random', 'hash'] as const;

export const balancerNameSchema = z
  .enum(BALANCER_NAMES)
  .default('roundRobin')
  .describe(
    'How a target is chosen: roundRobin (smooth weighted), leastConnections (fewest in-flight requests per weight), ' +
      'leastLatency (power of two choices over peak-EWMA latency × in-flight), random (weighted), hash (consistent, on hashOn).',
  );

export const hashOnSchema = z
  .string()
  .regex(/^(ip|path|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|cookie:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/, 'expected ip, path, header:NAME or cookie:NAME')
  .default('ip')
  .describe('Key for balancer: hash — ip (client address), path, header:NAME or cookie:NAME. A request without the key is balanced at random.');

export const stickySchema = z
  .strictObject({
    cookie: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected a cookie name').default('barbican_srv').describe('Name of the cookie that pins a client to a target.'),
    ttl: duration().default(3_600_000).describe('Max-Age of the cookie; 0 makes it a session cookie.'),
    secret: z
      .string()
      .min(16)
      .optional()
      .describe('Key that signs the cookie value (at least 16 characters). Without it a random key is made at start, so cookies do not survive a restart or carry across instances.'),
  })
  .describe('Sticky sessions: a signed cookie (never the target address) sends a client back to the same target while it is available.');

export const slowStartSchema = duration()
  .default(0)
  .describe('A target that becomes available again ramps its weight linearly from 10% to 100% over this time; 0 turns it off.');

export type StickyConfig = z.output<typeof stickySchema>;
export type BalancerName = (typeof BALANCER_NAMES)[number];
