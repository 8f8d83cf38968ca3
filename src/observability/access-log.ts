/**
 * The access log: one line per request, JSON or Apache combined, to stdout, stderr or a file.
 * Lines are gathered in memory and handed to the output at most FLUSH_MS after they were
 * written or once a batch's worth is pending, as nginx's `access_log … buffer= flush=` does;
 * the output (sonic-boom, given the batch as bytes) then writes asynchronously. One write per
 * batch rather than one per event-loop turn keeps the log's cost to the request path small
 * (docs/benchmarks.md).
 */
import { pino } from 'pino';
import type { LoggingConfig } from './config.js';
import { isoTime, jsonString, JsonStringMemo } from './json-text.js';
import { escapeLogItem } from './log-item-escape.js';

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
  /** Writes the line of `record` before it returns and keeps nothing of it (the caller reuses one record). */
  write(record: AccessRecord): void;
  flush(): void;
}

type SonicBoom = ReturnType<typeof pino.destination>;

/** How long a line may wait in memory before it is handed to the output. */
const FLUSH_MS = 100;
/**
 * Pending bytes (UTF-16 units) that hand a file's batch over at once. Each hand-over is one
 * write on libuv's threadpool, and a write costs the proxy's core about the same whatever its
 * size: with 32 KiB batches the writes took 3.4% of the proxy's time under a 12 B GET load,
 * with 256 KiB 0.5% (docs/benchmarks.md, session 5). FLUSH_MS still bounds how long a line waits.
 */
const FILE_FLUSH_BYTES = 256 * 1024;
/**
 * The same for stdout and stderr, which are often a pipe that every worker shares: a write
 * larger than the pipe (64 KiB) goes in pieces, between which another worker's lines could
 * land, cutting a line in two. A file is opened for appending, where each write stays whole.
 */
const STREAM_FLUSH_BYTES = 32 * 1024;

/** One output with its batch of pending lines. */
class Destination {
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly flushLater = (): void => {
    this.timer = null;
    this.handOver();
  };

  constructor(
    readonly out: SonicBoom,
    private readonly flushBytes: number,
  ) {}

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.flushBytes) this.handOver();
    else if (this.timer === null) this.timer = setTimeout(this.flushLater, FLUSH_MS).unref();
  }

  /** Hands the pending lines to the output (which writes them asynchronously). */
  handOver(): void {
    if (this.pending === '') return;
    const batch = this.pending;
    this.pending = '';
    // As bytes: given a string, sonic-boom measures its UTF-8 length (and again that of the one
    // it appends to while a write is in flight) before encoding it a second time to write.
    // Its types know only strings; in contentMode 'buffer' (destination()) write() takes bytes.
    this.out.write(Buffer.from(batch, 'utf8') as unknown as string);
  }

  /** Writes everything pending now (shutdown, a retired runtime). */
  flushSync(): void {
    this.handOver();
    try {
      this.out.flushSync();
    } catch {
      // Not open yet (a file still being opened): its own writes will follow.
    }
  }

  /** Pending lines go to the file being closed; new ones to the new file. */
  reopen(): void {
    this.handOver();
    this.out.reopen();
  }
}

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
  // contentMode buffer: batches are handed over encoded (see Destination.handOver).
  if (output === 'stdout') dest = new Destination(pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }), STREAM_FLUSH_BYTES);
  else if (output === 'stderr') dest = new Destination(pino.destination({ dest: 2, sync: false, contentMode: 'buffer' }), STREAM_FLUSH_BYTES);
  else {
    // /dev/stdout and the like are the same pipes as stdout and stderr.
    const flushBytes = output.startsWith('/dev/') ? STREAM_FLUSH_BYTES : FILE_FLUSH_BYTES;
    dest = new Destination(pino.destination({ dest: output, sync: false, mkdir: true, contentMode: 'buffer' }), flushBytes);
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

/** A header value in double quotes, escaped (escapeLogItem); "-" when absent, as httpd. */
function quoted(v: string | undefined): string {
  return v === undefined ? '"-"' : `"${escapeLogItem(v)}"`;
}

/**
 * Milliseconds to three decimals, as JSON number text ("12.034"). Formatted from integer
 * microseconds: turning a double into its shortest decimal form costs several times more, and
 * it was two of them per line.
 */
function milliseconds(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= Number.MAX_SAFE_INTEGER)) return Number.isFinite(ms) ? String(us / 1000) : 'null';
  const frac = us % 1000;
  return `${(us - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
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
          // Escaped as httpd's %r and %{…}i (log-item-escape.ts). clientIp needs none: it is the
          // socket's address or a hop of X-Forwarded-For that passed isIP (trusted-proxies.ts).
          `${r.clientIp} - - [${clfTime(r.time)}] "${escapeLogItem(r.method)} ${escapeLogItem(r.path)} ${r.httpVersion}" ${r.status} ${r.bytesOut} ${quoted(r.referer)} ${quoted(r.userAgent)}\n`,
        );
      },
      flush: () => dest.flushSync(),
    };
  }
  // One memo per field: each remembers that field's last value (json-text.ts).
  const clientIp = new JsonStringMemo();
  const method = new JsonStringMemo();
  const host = new JsonStringMemo();
  const path = new JsonStringMemo();
  const route = new JsonStringMemo();
  const upstream = new JsonStringMemo();
  const target = new JsonStringMemo();
  return {
    enabled: true,
    clientHeaders: false,
    // Built by hand in the order JSON.stringify of the record gave; absent fields are left out.
    // The request id needs no escaping: a kept one matched [A-Za-z0-9._:-] (request-id.ts), a
    // new one is hex.
    write(r) {
      let line = `{"time":"${isoTime(r.time)}","requestId":"${r.requestId}","clientIp":${clientIp.of(r.clientIp)},"method":${method.of(r.method)},"host":${host.of(r.host)},"path":${path.of(r.path)},"protocol":"${r.httpVersion}","status":${r.status},"bytesIn":${r.bytesIn},"bytesOut":${r.bytesOut},"durationMs":${milliseconds(r.durationMs)}`;
      if (r.route !== undefined) line += `,"route":${route.of(r.route)}`;
      if (r.upstream !== undefined) line += `,"upstream":${upstream.of(r.upstream)}`;
      if (r.target !== undefined) line += `,"target":${target.of(r.target)}`;
      line += `,"retries":${r.retries}`;
      if (r.upstreamMs !== undefined) line += `,"upstreamMs":${milliseconds(r.upstreamMs)}`;
      if (r.cacheStatus !== undefined) line += `,"cacheStatus":${jsonString(r.cacheStatus)}`;
      if (r.error !== undefined) line += `,"error":${jsonString(r.error)}`;
      dest.write(line + '}\n');
    },
    flush: () => dest.flushSync(),
  };
}
