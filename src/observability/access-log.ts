/**
 * The access log: one line per request, JSON or Apache combined, to stdout, stderr or a file.
 * Written asynchronously (sonic-boom batches lines while a write is in flight), so it stays
 * off the request's critical path yet lines appear promptly on a quiet proxy.
 */
import { pino } from 'pino';
import type { LoggingConfig } from './config.js';

/** What is known about a request when it ends. */
export interface AccessRecord {
  time: number;
  requestId: string;
  clientIp: string;
  method: string;
  host: string;
  path: string;
  httpVersion: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  route: string | undefined;
  upstream: string | undefined;
  /** URL of the target that answered (the last one tried). */
  target: string | undefined;
  /** Upstream tries after the first. */
  retries: number;
  /** Time from sending the answering try to its response head (ms), or undefined. */
  upstreamMs: number | undefined;
  /** Cache-Status of a cached route (RFC 9211), or undefined. */
  cacheStatus: string | undefined;
  /** Error code (docs/errors.md) when the request failed. */
  error: string | undefined;
  userAgent: string | undefined;
  referer: string | undefined;
}

export interface AccessLog {
  /** False for format: off; the caller then builds no record at all. */
  readonly enabled: boolean;
  /** The format shows User-Agent and Referer (combined); otherwise the caller need not look them up. */
  readonly clientHeaders: boolean;
  write(record: AccessRecord): void;
  flush(): void;
}

type Destination = ReturnType<typeof pino.destination>;

/**
 * One destination per output for the whole process: a reload builds a new runtime (and access
 * log) but keeps writing through the same stream, so no file is opened per reload and lines
 * written around a swap stay in order.
 */
const destinations = new Map<string, Destination>();
/** File outputs, reopened by reopenAccessLogs(). */
const files = new Set<Destination>();

function destination(output: string): Destination {
  let dest = destinations.get(output);
  if (dest !== undefined) return dest;
  if (output === 'stdout') dest = pino.destination({ dest: 1, sync: false });
  else if (output === 'stderr') dest = pino.destination({ dest: 2, sync: false });
  else {
    dest = pino.destination({ dest: output, sync: false, mkdir: true });
    files.add(dest);
  }
  destinations.set(output, dest);
  return dest;
}

/**
 * Reopens every access log written to a file (SIGUSR1, after logrotate moved it away): new
 * lines go to a new file at the configured path. Returns how many files were reopened.
 */
export function reopenAccessLogs(): number {
  for (const dest of files) dest.reopen();
  return files.size;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function quoted(v: string | undefined): string {
  return v === undefined ? '"-"' : JSON.stringify(v);
}

export function createAccessLog(config: LoggingConfig['accessLog']): AccessLog {
  if (config.format === 'off') return { enabled: false, clientHeaders: false, write() {}, flush() {} };
  const dest = destination(config.output);
  if (config.format === 'combined') {
    return {
      enabled: true,
      clientHeaders: true,
      write(r) {
        dest.write(
          `${r.clientIp} - - [${clfTime(r.time)}] "${r.method} ${r.path} ${r.httpVersion}" ${r.status} ${r.bytesOut} ${quoted(r.referer)} ${quoted(r.userAgent)}\n`,
        );
      },
      flush: () => dest.flushSync(),
    };
  }
  return {
    enabled: true,
    clientHeaders: false,
    write(r) {
      dest.write(
        JSON.stringify({
          time: new Date(r.time).toISOString(),
          requestId: r.requestId,
          clientIp: r.clientIp,
          method: r.method,
          host: r.host,
          path: r.path,
          status: r.status,
          bytesIn: r.bytesIn,
          bytesOut: r.bytesOut,
          durationMs: Math.round(r.durationMs * 1000) / 1000,
          route: r.route,
          upstream: r.upstream,
          target: r.target,
          retries: r.retries,
          upstreamMs: r.upstreamMs === undefined ? undefined : Math.round(r.upstreamMs * 1000) / 1000,
          cacheStatus: r.cacheStatus,
          error: r.error,
        }) + '\n',
      );
    },
    flush: () => dest.flushSync(),
  };
}
