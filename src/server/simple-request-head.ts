/**
 * A fast path for the most common client request head: a usual method, an origin-form target,
 * `HTTP/1.1` or `HTTP/1.0`, plain field lines, no body or a Content-Length one, all within one
 * read. Such a head is read here in one pass over the bytes and one string; llhttp, through
 * Node's binding, costs about twice as much, plus a re-initialization after every Content-Length
 * body (docs/benchmarks.md, session 10).
 *
 * The request side is where smuggling is attempted, so the rule is the one of
 * simple-field-lines.ts, held strictly: this accepts a strict subset of what llhttp (no lenient
 * flag) accepts, and yields exactly what llhttp yields for it (method, target, version, fields,
 * keep-alive, no upgrade). Anything else — another method (CONNECT among them), an
 * absolute-form, authority-form or asterisk-form target, a fragment, a byte in the target
 * outside VCHAR, another version, more or fewer spaces, and all the field lines
 * simple-field-lines.ts declines (Transfer-Encoding, Upgrade, Proxy-Connection, Connection
 * lists, odd Content-Lengths, obs-text, obs-fold, bare CR or LF…) — makes `scan` return 0, and
 * llhttp reads the head with its own errors. The checks llhttp leaves to Barbican
 * (request-guard.ts: Expect, the Host rules later in the pipeline) run on both paths alike.
 * test/server/simple-request-head.test.mjs checks all this against llhttp over mutated heads.
 *
 * The grammar (RFC 9112 §3): request-line = method SP request-target SP HTTP-version CRLF.
 */
import { SimpleFieldLines } from './simple-field-lines.js';

/** The methods read here (RFC 9110 §9.3), as llhttp names them; the rest go to llhttp. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
/** Each method's bytes followed by SP, indexed by the method's first byte. */
const CANDIDATES: ({ name: string; bytes: Uint8Array }[] | undefined)[] = [];
for (const name of METHODS) (CANDIDATES[name.charCodeAt(0)] ??= []).push({ name, bytes: Buffer.from(`${name} `, 'latin1') });

/** "HTTP/1." */
const VERSION = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e];

export class SimpleRequestHead {
  method = '';
  /** The request-target as sent (origin-form). */
  target = '';
  httpMinor = 1;
  /** [name, value, …] as received; a new array per head (the request keeps it). */
  headers: string[] = [];
  /** The Content-Length, 0 when there is none. */
  contentLength = 0;
  keepAlive = true;
  private readonly fields = new SimpleFieldLines();

  /**
   * Reads a head starting at buf[start]. Returns its length in bytes (a body, or the next
   * request, follows), or 0 when it is not a head of the simple kind (then nothing here is
   * meaningful: llhttp reads it).
   */
  scan(buf: Buffer, start: number, maxHeaderBytes: number): number {
    const limit = Math.min(buf.length, start + maxHeaderBytes);
    const candidates = CANDIDATES[buf[start]!];
    if (candidates === undefined) return 0;
    let method: string | undefined;
    let i = start;
    for (let m = 0; m < candidates.length && method === undefined; m++) {
      const bytes = candidates[m]!.bytes;
      if (start + bytes.length > limit) continue;
      let k = 1;
      while (k < bytes.length && buf[start + k] === bytes[k]) k++;
      if (k === bytes.length) {
        method = candidates[m]!.name;
        i = start + k;
      }
    }
    if (method === undefined) return 0;

    // origin-form (RFC 9112 §3.2.1): "/" then VCHAR up to the SP; no fragment (RFC 9112 §3.2
    // does not allow one; llhttp would split it off), nothing llhttp's strict mode refuses.
    const targetStart = i;
    if (buf[i] !== 0x2f) return 0;
    let c = 0;
    while (i < limit && (c = buf[i]!) > 0x20 && c < 0x7f && c !== 0x23) i++;
    if (c !== 0x20 || i + 11 > limit) return 0;
    const targetEnd = i;
    i++;
    for (let k = 0; k < 7; k++) if (buf[i + k] !== VERSION[k]) return 0;
    const minor = buf[i + 7]! - 0x30;
    if ((minor !== 0 && minor !== 1) || buf[i + 8] !== 0x0d || buf[i + 9] !== 0x0a) return 0;
    i += 10;

    const fields = this.fields;
    i = fields.scan(buf, i, limit, start);
    if (i === -1) return 0;

    // One string for the head; the target, names and values are slices of it.
    const head = buf.toString('latin1', start, i);
    this.method = method;
    this.target = head.slice(targetStart - start, targetEnd - start);
    this.httpMinor = minor;
    this.headers = fields.headers(head);
    this.contentLength = fields.contentLength === -1 ? 0 : fields.contentLength;
    // RFC 9112 §9.3, as llhttp decides it: HTTP/1.1 persists unless `close` was listed,
    // HTTP/1.0 only if `keep-alive` was.
    this.keepAlive = minor === 1 ? !fields.close : fields.keepAlive;
    return i - start;
  }
}
