/**
 * The observability filter, last on every route: every response carries X-Request-Id (error
 * responses already do; this covers forwarded answers, redirects and `respond` routes), every
 * upstream try carries a `traceparent` with a new span id for the proxy hop, and the time from
 * sending a try to its response head is recorded. One shared, stateless object; per-request
 * state is two fields of the Session.
 */
import { sharedMetrics } from '../observability/metrics.js';
import { nextTraceparent } from '../observability/trace-context.js';
import { sameName } from '../upstream/header-names.js';
import type { Filter } from './filter.js';
import type { Session } from './session.js';

/** Index of header `lower` (lower case) in a flat [name, value, …] list, or -1. */
function indexOf(headers: readonly string[], lower: string): number {
  for (let i = 0; i < headers.length; i += 2) {
    if (sameName(headers[i]!, lower)) return i;
  }
  return -1;
}

export const observabilityFilter: Filter = {
  name: 'observability',
  onUpstreamRequest(s: Session, headers: string[]): string[] {
    const i = indexOf(headers, 'traceparent');
    if (i === -1) headers.push('traceparent', nextTraceparent(undefined));
    else headers[i + 1] = nextTraceparent(headers[i + 1]);
    s.upstreamStart = performance.now();
    return headers;
  },
  onResponse(s: Session, headers: string[]): string[] {
    if (s.upstreamStart > 0) {
      const target = s.target;
      const route = s.route;
      s.upstreamMs = performance.now() - s.upstreamStart;
      if (target !== undefined && route?.action.kind === 'upstream' && s.runtime.config.metrics.enabled) {
        sharedMetrics.upstreamResponded(route.action.upstream.name, target.state, s.upstreamMs / 1000);
      }
      s.upstreamStart = 0;
    }
    // The origin may echo (or invent) one: the client sees the id Barbican logged.
    const i = indexOf(headers, 'x-request-id');
    if (i === -1) headers.push('X-Request-Id', s.requestId);
    else headers[i + 1] = s.requestId;
    return headers;
  },
};
