/**
 * The single exit of every request: failures become an error response (or a cut connection
 * once bytes were sent), and every request is logged exactly once, whichever way it leaves.
 */
import type { ProxyError } from '../errors/index.js';
import type { AccessRecord } from '../observability/access-log.js';
import { sharedMetrics } from '../observability/metrics.js';
import { sendError } from './error-response.js';
import type { Session } from './session.js';

/** The single exit for failures: error response if possible, else cut; then log. */
export function fail(s: Session, err: ProxyError): void {
  if (s.logged) return;
  s.errorCode = err.code;
  s.errorDetail = err.message;
  const res = s.res;
  if (err.code === 'CLIENT_ABORTED') res.abort();
  else if (!res.headersSent) sendError(res, err, s.requestId);
  else res.abort();
  log(s, err);
}

/** Writes the access log line (and the error line) exactly once per request. */
export function log(s: Session, err?: ProxyError): void {
  if (s.logged) return;
  s.logged = true;
  const req = s.req;
  const rt = s.runtime;
  const status = err?.code === 'CLIENT_ABORTED' ? 499 : s.res.status;
  const durationMs = performance.now() - req.startTime;
  // The request is no longer in flight (counted up where the pipeline is entered: reload.ts);
  // a tunnel stopped counting as in flight at its 101 (websocket-tunnel.ts).
  if (s.tunneled) sharedMetrics.tunnels--;
  else {
    rt.inFlight--;
    sharedMetrics.inFlight--;
  }
  if (rt.config.metrics.enabled) {
    sharedMetrics.requestEnded(s.route?.name, req.method, status, durationMs / 1000, req.body.bytesReceived, s.res.bytesWritten, err?.code ?? s.errorCode);
    if (req.http2 === true) sharedMetrics.http2Requests++;
    if (s.retries > 0 && s.route?.action.kind === 'upstream') sharedMetrics.retried(s.route.action.upstream.name, s.retries);
  }
  if (err !== undefined && err.code !== 'CLIENT_ABORTED') {
    const fields = { requestId: s.requestId, code: err.code, status, method: req.method, host: s.host, path: s.path, route: s.route?.name, upstream: s.route?.action.kind === 'upstream' ? s.route.action.upstream.name : undefined, target: s.target?.url, retries: s.retries, clientIp: s.clientIp };
    if (err.source === 'internal') rt.logger.error({ ...fields, err: err.cause ?? err }, err.message);
    else if (err.source === 'upstream') rt.logger.warn(fields, err.message);
    else rt.logger.info(fields, err.message);
  }
  if (!rt.accessLog.enabled) return;
  // One record for every request, filled here and consumed by write() before it returns.
  const r = RECORD;
  r.time = Date.now();
  r.requestId = s.requestId;
  r.clientIp = s.clientIp;
  r.method = req.method;
  r.host = s.host;
  r.path = s.path + s.query;
  r.httpVersion = req.http2 === true ? 'HTTP/2.0' : req.httpMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1';
  r.status = status;
  r.bytesIn = req.body.bytesReceived;
  r.bytesOut = s.res.bytesWritten;
  r.durationMs = durationMs;
  r.route = s.route?.name;
  r.upstream = s.route?.action.kind === 'upstream' ? s.route.action.upstream.name : undefined;
  r.target = s.target?.url;
  r.retries = s.retries;
  r.upstreamMs = s.upstreamMs < 0 ? undefined : s.upstreamMs;
  r.cacheStatus = s.cacheStatus;
  r.error = err?.code;
  // Two more scans of the request headers, only for a format that shows them (combined).
  r.userAgent = rt.accessLog.clientHeaders ? s.header('user-agent') : undefined;
  r.referer = rt.accessLog.clientHeaders ? s.header('referer') : undefined;
  rt.accessLog.write(r);
}

/** The access record every request's line is written from (see AccessLog.write: nothing keeps it). */
const RECORD: AccessRecord = {
  time: 0,
  requestId: '',
  clientIp: '',
  method: '',
  host: '',
  path: '',
  httpVersion: '',
  status: 0,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 0,
  route: undefined,
  upstream: undefined,
  target: undefined,
  retries: 0,
  upstreamMs: undefined,
  cacheStatus: undefined,
  error: undefined,
  userAgent: undefined,
  referer: undefined,
};

