/** The whole configuration file: one schema per concern, composed here. */
import { z } from 'zod';
import { adminSchema } from '../admin/config.js';
import { cacheSchema } from '../cache/config.js';
import { loggingSchema, metricsSchema } from '../observability/config.js';
import { routesSchema } from '../routing/config.js';
import { listenersSchema, serverSchema } from '../server/config.js';
import { upstreamsSchema } from '../upstream/config.js';
import { stateSchema } from '../state/config.js';

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  listeners: listenersSchema,
  upstreams: upstreamsSchema,
  routes: routesSchema,
  cache: cacheSchema.prefault({}),
  state: stateSchema.prefault({}),
  logging: loggingSchema.prefault({}).describe('Operational log and access log.'),
  admin: adminSchema.optional().describe('The admin listener: JSON API and Prometheus /metrics. Off unless configured.'),
  metrics: metricsSchema.prefault({}).describe('Prometheus metrics (served at GET /metrics on the admin listener).'),
});

/** The validated configuration, with defaults filled and units parsed. */
export type Config = z.output<typeof configSchema>;
