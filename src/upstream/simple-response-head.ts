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
 * or 304, a head split across reads or larger than the limit, obs-text, obs-fold, whitespace
 * before a colon or at the end of a value, an empty value, a bare CR or LF, Transfer-Encoding,
 * Upgrade, a Connection other than `close` or `keep-alive`, no Content-Length or a zero, a
 * repeated or oversized one — makes `scan` return 0 and llhttp reads the head as before, with
 * its own errors. test/upstream/simple-response-head.test.mjs checks the "exactly what llhttp
 * yields" part against llhttp itself, over mutated heads.
 *
 * The grammar (RFC 9112 §4, §5): status-line = HTTP-version SP 3DIGIT SP reason-phrase CRLF,
 * field-line = field-name ":" OWS field-value OWS CRLF, the head ends with an empty line.
 */

/** tchar (RFC 9110 §5.6.2), indexed by byte. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** "HTTP/1.1 " */
const VERSION = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x20];
/** Content-Length values longer than this go to llhttp (its overflow check decides). */
const MAX_LENGTH_DIGITS = 15;
/** Heads with more fields than this go to llhttp. */
const MAX_FIELDS = 64;

/** Whether buf[at, at + length) is `lower` (lower-case ASCII) in any case: sameName (header-names.ts) on bytes. */
function nameIs(buf: Buffer, at: number, length: number, lower: string): boolean {
  if (length !== lower.length) return false;
  for (let i = 0; i < length; i++) {
    const c = buf[at + i]!;
    const l = lower.charCodeAt(i);
    // Only letters fold (RFC 9110 §5.1: names are case-insensitive ASCII).
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

export class SimpleResponseHead {
  status = 0;
  reason = '';
  /** [name, value, …] as received; a new array per head (the exchange may keep it). */
  headers: string[] = [];
  contentLength = 0;
  keepAlive = true;
  /** Field offsets of the head being read: nameStart, nameEnd, valueStart, valueEnd per field. */
  private readonly offsets = new Int32Array(MAX_FIELDS * 4);

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

    const offsets = this.offsets;
    let fields = 0;
    let contentLength = -1;
    let keepAlive = true;
    for (;;) {
      if (i + 1 >= limit) return 0;
      if (buf[i] === 0x0d) {
        if (buf[i + 1] !== 0x0a) return 0;
        i += 2;
        break;
      }
      const nameStart = i;
      while (i < limit && TCHAR[(c = buf[i]!)] === 1) i++;
      if (i === nameStart || i >= limit || c !== 0x3a) return 0;
      const nameEnd = i;
      i++;
      while (i < limit && ((c = buf[i]!) === 0x20 || c === 0x09)) i++;
      const valueStart = i;
      // field-vchar and inner SP / HTAB; obs-text (0x80–0xff) is allowed, but left to llhttp.
      while (i < limit && (((c = buf[i]!) >= 0x20 && c <= 0x7e) || c === 0x09)) i++;
      if (i + 1 >= limit || c !== 0x0d || buf[i + 1] !== 0x0a) return 0;
      const valueEnd = i;
      // An empty value, or whitespace before the CRLF: llhttp's trimming decides those.
      if (valueEnd === valueStart) return 0;
      const last = buf[valueEnd - 1];
      if (last === 0x20 || last === 0x09) return 0;
      i += 2;

      const nameLength = nameEnd - nameStart;
      if (nameLength === 14 && nameIs(buf, nameStart, 14, 'content-length')) {
        // RFC 9112 §6.3: one Content-Length, all digits; a repeat is llhttp's to judge.
        if (contentLength !== -1 || valueEnd - valueStart > MAX_LENGTH_DIGITS) return 0;
        let n = 0;
        for (let k = valueStart; k < valueEnd; k++) {
          const d = buf[k]! - 0x30;
          if (d < 0 || d > 9) return 0;
          n = n * 10 + d;
        }
        contentLength = n;
      } else if (nameLength === 17 && nameIs(buf, nameStart, 17, 'transfer-encoding')) return 0;
      else if (nameLength === 7 && nameIs(buf, nameStart, 7, 'upgrade')) return 0;
      else if (nameLength === 10 && nameIs(buf, nameStart, 10, 'connection')) {
        // HTTP/1.1 is persistent unless `close` is listed (RFC 9112 §9.3); other lists: llhttp.
        const length = valueEnd - valueStart;
        if (length === 5 && nameIs(buf, valueStart, 5, 'close')) keepAlive = false;
        else if (!(length === 10 && nameIs(buf, valueStart, 10, 'keep-alive'))) return 0;
      }
      if (fields === MAX_FIELDS) return 0;
      const at = fields++ * 4;
      offsets[at] = nameStart - start;
      offsets[at + 1] = nameEnd - start;
      offsets[at + 2] = valueStart - start;
      offsets[at + 3] = valueEnd - start;
    }
    // A body of known, non-zero length is what this path is for; the rest is llhttp's.
    if (contentLength <= 0) return 0;

    // One string for the head; names, values and the reason are slices of it.
    const head = buf.toString('latin1', start, i);
    const headers: string[] = [];
    for (let k = 0; k < fields * 4; k += 4) headers.push(head.slice(offsets[k]!, offsets[k + 1]!), head.slice(offsets[k + 2]!, offsets[k + 3]!));
    this.status = status;
    this.reason = head.slice(13, reasonEnd - start);
    this.headers = headers;
    this.contentLength = contentLength;
    this.keepAlive = keepAlive;
    return i - start;
  }
}
