/** The whole configuration file: one schema per concern, composed here. */
import { z } from 'zod';
import { loggingSchema } from '../observability/config.js';
import { routesSchema } from '../routing/config.js';
import { listenersSchema, serverSchema } from '../server/config.js';
import { upstreamsSchema } from '../upstream/config.js';

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  listeners: listenersSchema,
  upstreams: upstreamsSchema,
  routes: routesSchema,
  logging: loggingSchema.prefault({}).describe('Operational log and access log.'),
});

/** The validated configuration, with defaults filled and units parsed. */
export type Config = z.output<typeof configSchema>;
