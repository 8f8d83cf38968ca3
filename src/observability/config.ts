/** Schema for `logging`. */
import { z } from 'zod';

export const loggingSchema = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Lowest level of operational log lines written (to stderr).'),
  accessLog: z
    .strictObject({
      output: z.string().min(1).default('stdout').describe('stdout, stderr or a file path.'),
      format: z.enum(['json', 'combined', 'off']).default('json').describe('json (one object per line), combined (Apache) or off.'),
    })
    .prefault({})
    .describe('One line per request.'),
});

export type LoggingConfig = z.output<typeof loggingSchema>;

/** Schema for `metrics`. */
export const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Record Prometheus metrics and serve them at GET /metrics on the admin listener.'),
});

export type MetricsConfig = z.output<typeof metricsSchema>;
