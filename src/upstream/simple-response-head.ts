/**
 * A fast path for the most common upstream response head: `HTTP/1.1`, a final status, plain
 * header lines, a Content-Length body, all within one read. Such a head is read here in
 * JavaScript, in one pass over the bytes and one string for the whole head; llhttp, reached
 * through Node's binding, makes a string per name and per value in C++ and calls back into
 * JavaScript, which costs about twice as much for a typical five-field head
 * (docs/benchmarks.md, session 9).
 *
 * It is not a second parser with its own reading of the grammar: it accepts only a strict subset
 * of what llhttp accepts, and for that subset it yields exactly what llhttp yields (status,
 * reason, fields as [name, value, …], keep-alive). Anything else — another version, a 1xx, 204
 * or 304, an HTAB or obs-text in the reason, no Content-Length or a zero, and all the field
 * lines server/simple-field-lines.ts declines — makes `scan` return 0 and llhttp reads the head
 * as before, with its own errors. test/upstream/simple-response-head.test.mjs checks the
 * "exactly what llhttp yields" part against llhttp itself, over mutated heads.
 *
 * The grammar (RFC 9112 §4): status-line = HTTP-version SP 3DIGIT SP reason-phrase CRLF.
 */
import { SimpleFieldLines } from '../server/simple-field-lines.js';

/** "HTTP/1.1 " */
const VERSION = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x20];

export class SimpleResponseHead {
  status = 0;
  reason = '';
  /** [name, value, …] as received; a new array per head (the exchange may keep it). */
  headers: string[] = [];
  contentLength = 0;
  keepAlive = true;
  private readonly fields = new SimpleFieldLines();

  /**
   * Reads a head starting at buf[start]. Returns its length in bytes (the body follows), or 0
   * when it is not a head of the simple kind (then nothing here is meaningful: llhttp reads it).
   */
  scan(buf: Buffer, start: number, maxHeaderBytes: number): number {
    const limit = Math.min(buf.length, start + maxHeaderBytes);
    if (limit - start < 17) return 0;
    for (let i = 0; i < 9; i++) if (buf[start + i] !== VERSION[i]) return 0;
    const d0 = buf[start + 9]! - 0x30;
    const d1 = buf[start + 10]! - 0x30;
    const d2 = buf[start + 11]! - 0x30;
    // 2xx–5xx only: 1xx are interim (and 101 switches protocols), 6xx–9xx are left to llhttp.
    if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || buf[start + 12] !== 0x20) return 0;
    const status = d0 * 100 + d1 * 10 + d2;
    // 204 and 304 never have content (RFC 9110 §6.4.1): llhttp's framing rules apply there.
    if (status === 204 || status === 304) return 0;
    let i = start + 13;
    let c = 0;
    // reason-phrase: SP and VCHAR only here (HTAB and obs-text are allowed, but left to llhttp).
    while (i < limit && (c = buf[i]!) >= 0x20 && c <= 0x7e) i++;
    if (c !== 0x0d || i + 1 >= limit || buf[i + 1] !== 0x0a) return 0;
    const reasonEnd = i;
    i += 2;

    const fields = this.fields;
    i = fields.scan(buf, i, limit, start);
    // A body of known, non-zero length is what this path is for; the rest is llhttp's.
    if (i === -1 || fields.contentLength <= 0) return 0;

    // One string for the head; names, values and the reason are slices of it.
    const head = buf.toString('latin1', start, i);
    this.status = status;
    this.reason = head.slice(13, reasonEnd - start);
    this.headers = fields.headers(head);
    this.contentLength = fields.contentLength;
    // HTTP/1.1 is persistent unless `close` is listed (RFC 9112 §9.3).
    this.keepAlive = !fields.close;
    return i - start;
  }
}
