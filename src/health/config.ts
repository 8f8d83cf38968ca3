/** Schema for `upstreams.<name>.healthCheck` (active) and `.outlierDetection` (passive). */
import { z } from 'zod';
import { duration } from '../config/units.js';

const statusRange = z
  .string()
  .regex(/^[1-5]\d\d(-[1-5]\d\d)?$/, 'expected a status or a range such as 200-399')
  .refine((v) => {
    const [lo, hi] = v.split('-').map(Number);
    return hi === undefined || lo! <= hi;
  }, 'the range must run from low to high')
  .default('200-399');

export const healthCheckSchema = z
  .strictObject({
    path: z.string().regex(/^\/[^\s]*$/, 'expected an absolute path such as /healthz').default('/').describe('Path requested with GET on every target.'),
    interval: duration().refine((v) => v >= 100, 'the interval must be at least 100ms').default(5_000).describe('Time between checks of one target (a random ±10% is added so checks do not align).'),
    timeout: duration().refine((v) => v >= 1, 'the timeout must be more than 0').default(2_000).describe('A check without a complete response within this time fails.'),
    healthyThreshold: z.number().int().min(1).max(100).default(2).describe('Consecutive passing checks that bring an unhealthy target back.'),
    unhealthyThreshold: z.number().int().min(1).max(100).default(3).describe('Consecutive failing checks that take a target out of rotation.'),
    expectStatus: statusRange.describe('Status code or range a passing check answers with.'),
    host: z.string().optional().describe('Host header of the check (default: the target host:port).'),
  })
  .describe('Active health checks: every target is requested periodically; failing ones take no traffic until they pass again.');

export const outlierDetectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Eject targets that fail real requests (on by default, like nginx max_fails).'),
    consecutiveFailures: z.number().int().min(1).max(1000).default(5).describe('Failures in a row (connect errors, resets, timeouts, 5xx) that eject a target.'),
    baseEjectionTime: duration().default(30_000).describe('An ejected target is out for this time × the number of times it has been ejected (capped at 10×).'),
    maxEjectionPercent: z.number().int().min(0).max(100).default(50).describe('Most targets of the upstream ejected at once, in percent (at least one may always be ejected unless 0).'),
  })
  .describe('Passive health: targets that fail real requests are ejected for a while.');

export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
export type OutlierDetectionConfig = z.output<typeof outlierDetectionSchema>;
