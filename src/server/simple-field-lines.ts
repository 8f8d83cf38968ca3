/**
 * The field section of a "simple" HTTP/1.1 head (RFC 9112 §5), read in JavaScript: the part
 * SimpleRequestHead (client requests) and SimpleResponseHead (target responses) share. Reading
 * a common head here, in one pass over the bytes and one string for the whole head, costs about
 * half of what llhttp costs through Node's binding, which makes a string per name and value in
 * C++ and calls back into JavaScript (docs/benchmarks.md, sessions 9 and 10).
 *
 * It is not a second reading of the grammar: it accepts a strict subset of what llhttp accepts
 * (no lenient flag) and yields exactly what llhttp yields for it. Everything else makes `scan`
 * decline, and llhttp reads the head as before, with its own errors:
 * obs-text, obs-fold, whitespace before a colon or at the end of a value, an empty value, a
 * bare CR or LF, more than MAX_FIELDS fields, a head not wholly in the buffer, and every field
 * llhttp gives a meaning of its own: Transfer-Encoding, Upgrade, Proxy-Connection (llhttp reads
 * it as Connection), a Connection other than one `close` or `keep-alive`, and a Content-Length
 * that is repeated, not all digits, or longer than MAX_LENGTH_DIGITS.
 *
 * field-line = field-name ":" OWS field-value OWS CRLF; the section ends with an empty line.
 */

/** tchar (RFC 9110 §5.6.2), indexed by byte. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** Content-Length values longer than this go to llhttp (its overflow check decides). */
const MAX_LENGTH_DIGITS = 15;
/** Heads with more fields than this go to llhttp. */
const MAX_FIELDS = 64;

/** Whether buf[at, at + length) is `lower` (lower-case ASCII) in any case: sameName (header-names.ts) on bytes. */
export function nameIs(buf: Buffer, at: number, length: number, lower: string): boolean {
  if (length !== lower.length) return false;
  for (let i = 0; i < length; i++) {
    const c = buf[at + i]!;
    const l = lower.charCodeAt(i);
    // Only letters fold (RFC 9110 §5.1: names are case-insensitive ASCII).
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

export class SimpleFieldLines {
  /** Fields read by the last scan. */
  count = 0;
  /** The Content-Length of the last scan, -1 when there was none. */
  contentLength = -1;
  /** A `Connection: close` was read (RFC 9112 §9.3). */
  close = false;
  /** A `Connection: keep-alive` was read (HTTP/1.0 persistence, RFC 9112 §9.3). */
  keepAlive = false;
  /** nameStart, nameEnd, valueStart, valueEnd per field, relative to the scan's `base`. */
  private readonly offsets = new Int32Array(MAX_FIELDS * 4);

  /**
   * Reads field lines from buf[i] up to and including the empty line that ends them, within
   * buf[0, limit). Returns the index after that line, or -1 to decline the head.
   * Offsets are kept relative to `base`, where the head's string will start (see headers).
   */
  scan(buf: Buffer, i: number, limit: number, base: number): number {
    const offsets = this.offsets;
    let count = 0;
    let contentLength = -1;
    let close = false;
    let keepAlive = false;
    let c = 0;
    for (;;) {
      if (i + 1 >= limit) return -1;
      if (buf[i] === 0x0d) {
        if (buf[i + 1] !== 0x0a) return -1;
        i += 2;
        break;
      }
      const nameStart = i;
      while (i < limit && TCHAR[(c = buf[i]!)] === 1) i++;
      if (i === nameStart || i >= limit || c !== 0x3a) return -1;
      const nameEnd = i;
      i++;
      while (i < limit && ((c = buf[i]!) === 0x20 || c === 0x09)) i++;
      const valueStart = i;
      // field-vchar and inner SP / HTAB; obs-text (0x80–0xff) is allowed, but left to llhttp.
      while (i < limit && (((c = buf[i]!) >= 0x20 && c <= 0x7e) || c === 0x09)) i++;
      if (i + 1 >= limit || c !== 0x0d || buf[i + 1] !== 0x0a) return -1;
      const valueEnd = i;
      // An empty value, or whitespace before the CRLF: llhttp's trimming decides those.
      if (valueEnd === valueStart) return -1;
      const last = buf[valueEnd - 1];
      if (last === 0x20 || last === 0x09) return -1;
      i += 2;

      switch (nameEnd - nameStart) {
        case 14:
          if (nameIs(buf, nameStart, 14, 'content-length')) {
            // RFC 9112 §6.3: one Content-Length, all digits; a repeat is llhttp's to judge.
            if (contentLength !== -1 || valueEnd - valueStart > MAX_LENGTH_DIGITS) return -1;
            let n = 0;
            for (let k = valueStart; k < valueEnd; k++) {
              const d = buf[k]! - 0x30;
              if (d < 0 || d > 9) return -1;
              n = n * 10 + d;
            }
            contentLength = n;
          }
          break;
        case 17:
          if (nameIs(buf, nameStart, 17, 'transfer-encoding')) return -1;
          break;
        case 7:
          if (nameIs(buf, nameStart, 7, 'upgrade')) return -1;
          break;
        case 16:
          if (nameIs(buf, nameStart, 16, 'proxy-connection')) return -1;
          break;
        case 10:
          if (nameIs(buf, nameStart, 10, 'connection')) {
            // One token each; lists (and `upgrade`) are llhttp's.
            const length = valueEnd - valueStart;
            if (length === 5 && nameIs(buf, valueStart, 5, 'close')) close = true;
            else if (length === 10 && nameIs(buf, valueStart, 10, 'keep-alive')) keepAlive = true;
            else return -1;
          }
          break;
      }
      if (count === MAX_FIELDS) return -1;
      const at = count++ * 4;
      offsets[at] = nameStart - base;
      offsets[at + 1] = nameEnd - base;
      offsets[at + 2] = valueStart - base;
      offsets[at + 3] = valueEnd - base;
    }
    this.count = count;
    this.contentLength = contentLength;
    this.close = close;
    this.keepAlive = keepAlive;
    return i;
  }

  /** The fields of the last scan as [name, value, …]: slices of `head`, the head's string from `base` on. */
  headers(head: string): string[] {
    const offsets = this.offsets;
    const headers: string[] = [];
    for (let k = 0; k < this.count * 4; k += 4) headers.push(head.slice(offsets[k]!, offsets[k + 1]!), head.slice(offsets[k + 2]!, offsets[k + 3]!));
    return headers;
  }
}
