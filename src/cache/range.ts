/**
 * Range requests answered from a stored full response (RFC 9110 §14): one `bytes` range gives
 * a 206 with Content-Range (§14.4, §15.3.7); anything else — no Range, several ranges, a range
 * that is invalid or not satisfiable, an If-Range that does not match — gives the whole 200,
 * which §14.2 allows ("a server MAY ignore the Range header field").
 */
import type { CachedResponse } from './store.js';

/** First and last byte positions, inclusive (§14.1.2). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

const SINGLE = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i;

/**
 * §14.2: the single range of `r`'s content to send for a GET with `range` and `ifRange`, or
 * null to send it whole. Only a stored 200 is ranged (§14.2: Range applies to GET; the stored
 * content of a 200 is the selected representation).
 */
export function selectRange(method: string, range: string | undefined, ifRange: string | undefined, r: CachedResponse): ByteRange | null {
  if (range === undefined || method !== 'GET' || r.status !== 200) return null;
  if (ifRange !== undefined && !ifRangeMatches(ifRange.trim(), r)) return null;
  const m = SINGLE.exec(range.trim());
  if (m === null) return null; // several ranges, another unit, or malformed
  const length = r.body.length;
  const first = m[1]!;
  const last = m[2]!;
  if (first === '') {
    // §14.1.2 suffix-range: the last N bytes.
    if (last === '') return null;
    const n = Math.min(Number(last), length);
    return n === 0 ? null : { start: length - n, end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  // §14.1.2: last-pos < first-pos is invalid; §14.1.1: first-pos past the end is unsatisfiable.
  if ((last !== '' && Number(last) < start) || start >= length) return null;
  return { start, end };
}

/**
 * §13.1.5 If-Range: an entity tag matches by strong comparison (§8.8.3.2: neither weak); a
 * date matches when it is exactly the stored Last-Modified.
 */
function ifRangeMatches(value: string, r: CachedResponse): boolean {
  if (value.startsWith('"') || value.startsWith('W/')) {
    return r.etag !== undefined && !r.etag.startsWith('W/') && value === r.etag;
  }
  if (r.lastModified === undefined) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(r.lastModified);
}

/** §14.4 Content-Range of a 206: `bytes first-last/complete-length`. */
export function contentRange(range: ByteRange, length: number): string {
  return `bytes ${range.start}-${range.end}/${length}`;
}
