/**
 * The stand-in route of an answer a listener gives itself before routing (ACME HTTP-01
 * challenges, redirectToHttps: server/http-front.ts). log() reads the route's name for the
 * access log and the metrics' `route` label, so such answers are logged and counted like any
 * request, under a name in parentheses that no configured route is expected to take (as the
 * metrics' `(none)` for requests no route matched). Nothing else of the route is ever read.
 */
import type { CompiledRoute } from './runtime.js';

const routes = new Map<string, CompiledRoute>();

/** The stand-in route named `name` (one object per name, made on first use). */
export function listenerRoute(name: string): CompiledRoute {
  let route = routes.get(name);
  if (route === undefined) {
    route = {
      name,
      action: { kind: 'respond', status: 0, body: Buffer.alloc(0), headers: [] },
      rewritePath: undefined,
      upstreamHost: 'keep',
      filters: [],
      maxBodyBytes: 0,
      sendOptions: { responseHeadersTimeout: 0, idleTimeout: 0 },
      cache: undefined,
      storedHits: false,
      compression: undefined,
      websocket: false,
      websocketIdleTimeout: 0,
    };
    routes.set(name, route);
  }
  return route;
}
