/**
 * The dashboard's paths on the admin listener: the page (`/`), its script and stylesheet, and
 * the event stream. They are answered here, before the JSON API, because the page is HTML and
 * the stream never ends (the API's replies are whole bodies). Everything is served by Barbican
 * itself under a Content-Security-Policy that allows nothing from elsewhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminHost } from '../host.js';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS, UNAUTHORIZED_HTML } from './page.js';
import type { DashboardSampler } from './sampler.js';
import { dashboardAuthorized, sessionCookie, tokenless, tokenMatches } from './session.js';
import { streamEvents } from './sse.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS: ReadonlyMap<string, { type: string; body: string }> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: DASHBOARD_HTML }],
  ['/dashboard.js', { type: 'text/javascript; charset=utf-8', body: DASHBOARD_JS }],
  ['/dashboard.css', { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS }],
]);

/** The paths answered here. */
export const DASHBOARD_PATHS: ReadonlySet<string> = new Set([...ASSETS.keys(), '/api/events']);

function reply(res: ServerResponse, status: number, type: string, body: string, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...extra,
  });
  res.end(head ? undefined : body);
}

/** Answers a dashboard path; false when `req` is for something else. */
export function handleDashboard(req: IncomingMessage, res: ServerResponse, host: AdminHost, sampler: DashboardSampler): boolean {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (!DASHBOARD_PATHS.has(url.pathname)) return false;
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    reply(res, 405, 'text/plain; charset=utf-8', `${url.pathname} accepts GET\n`, false, { allow: 'GET, HEAD' });
    return true;
  }
  const token = host.runtime().config.admin?.token;
  const given = url.searchParams.get('token');
  if (url.pathname === '/' && given !== null && !tokenless(token)) {
    // The token is checked once, then leaves the URL; the cookie carries the session.
    if (tokenMatches(given, token)) reply(res, 303, 'text/plain; charset=utf-8', 'see /\n', head, { location: '/', 'set-cookie': sessionCookie(token) });
    else reply(res, 401, 'text/html; charset=utf-8', UNAUTHORIZED_HTML, head);
    return true;
  }
  if (!dashboardAuthorized(req.headers, token)) {
    if (url.pathname === '/') reply(res, 401, 'text/html; charset=utf-8', UNAUTHORIZED_HTML, head, { 'www-authenticate': 'Bearer realm="barbican-admin"' });
    else reply(res, 401, 'application/json; charset=utf-8', '{"error":{"code":"UNAUTHORIZED","message":"open /?token=<admin.token> first, or send Authorization: Bearer <admin.token>"}}\n', head, { 'www-authenticate': 'Bearer realm="barbican-admin"' });
    return true;
  }
  if (url.pathname === '/api/events') {
    streamEvents(req, res, sampler, head);
    return true;
  }
  const asset = ASSETS.get(url.pathname)!;
  reply(res, 200, asset.type, asset.body, head);
  return true;
}
