/** Routing: the route schema, the compiled route table and path rewriting. */
export { createRouteTable, type RouteTable } from './route-table.js';
export {
  type MatchInput,
  type HostPattern,
  type CompiledConditions,
  normalizeHost,
  compileHostPattern,
  hostMatches,
  compileConditions,
  conditionsHold,
} from './matchers.js';
export { createPathRewriter, type PathRewriter } from './rewrite.js';
export {
  routesSchema,
  routeSchema,
  matchSchema,
  rewriteSchema,
  type RouteConfig,
  type MatchConfig,
  type HeaderEditsConfig,
} from './config.js';
