/**
 * The one canonical form of a request path, used for route matching, for access rules and
 * for forwarding, so that what a route decided on is exactly what the origin receives.
 *
 * RFC 3986 §6.2.2, in its order:
 * - percent-encodings of unreserved characters (ALPHA DIGIT - . _ ~, §2.3) are decoded, and the
 *   hex digits of every other percent-encoding are upper-cased (§6.2.2.1, §6.2.2.2);
 * - dot-segments are removed (§5.2.4, §6.2.2.3), encoded ones too since `%2E` decodes to `.`;
 * - and, like nginx's merge_slashes, empty segments are merged (`//a` → `/a`) before that,
 *   so `/a//../b` is `/b` and an empty segment can never be what `..` removes.
 *
 * `%2F` stays encoded: it is data inside a segment, never a separator (§2.2). The query is not
 * part of the path and is never touched.
 *
 * Refused (the request gets 400):
 * - an invalid percent-encoding (`%zz`, `%u0061`, a lone `%`): origins disagree on it;
 * - an encoded control character (`%00`–`%1F`, `%7F`): a NUL truncates the path in C origins;
 * - a backslash, which Windows-style origins take for a separator;
 * - a `..` that climbs above the root (`/../x`). §5.2.4 would clamp it to `/x`, but clients
 *   resolve dot-segments before sending (RFC 3986 §5.2, and every browser), so such a path is
 *   a traversal probe; refusing it makes the attempt visible, where clamping would quietly serve
 *   whatever `/x` is, and an origin that resolves differently could not be misled by it;
 * - a segment that is a dot-segment once path parameters are dropped (`..;x`) or once an
 *   encoded slash or backslash is taken as a separator (`..%2F`, `%5C..`): Tomcat and origins
 *   that decode `%2F` resolve those, so the route Barbican picked would not be the resource
 *   they serve ("Breaking Parser Logic", Orange Tsai, 2018).
 */

/** Why a path has no canonical form. */
export interface PathProblem {
  readonly problem: string;
}

const INVALID_ENCODING: PathProblem = Object.freeze({ problem: 'has an invalid percent-encoding' });
const ENCODED_CONTROL: PathProblem = Object.freeze({ problem: 'has an encoded control character' });
const BACKSLASH: PathProblem = Object.freeze({ problem: 'has a backslash' });
const ABOVE_ROOT: PathProblem = Object.freeze({ problem: 'climbs above the root' });
const HIDDEN_DOT_SEGMENT: PathProblem = Object.freeze({ problem: 'has a dot-segment hidden by path parameters or an encoded separator' });

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const BACKSLASH_CODE = 92;
const HEX = '0123456789ABCDEF';

/**
 * Whether a path (starting with `/`) may differ from its canonical form. Most paths do not:
 * one pass over the characters, no allocation.
 */
function needsNormalizing(path: string): boolean {
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT || c === BACKSLASH_CODE) return true;
    if (c === SLASH) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) return true;
    }
  }
  return false;
}

/** The value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** RFC 3986 §2.3 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === DOT || c === 95 || c === 126;
}

/** Segment separators that some origins see inside a segment: `%2F`, `%5C`, and `;` (or `%3B`) parameters. */
const HIDDEN_SEPARATOR = /%2F|%5C/;
const PARAMETERS = /;|%3B/;

/** Whether a canonical segment (not itself `.` or `..`) is a dot-segment to some origin. */
function hidesDotSegment(segment: string): boolean {
  for (const piece of segment.split(HIDDEN_SEPARATOR)) {
    const name = piece.split(PARAMETERS, 1)[0];
    if (name === '.' || name === '..') return true;
  }
  return false;
}

/**
 * Returns the canonical form of `path` (an absolute path, starting with `/`, without the query):
 * `path` itself when it is already canonical, which is the common case and allocates nothing.
 */
export function normalizePath(path: string): string | PathProblem {
  if (!needsNormalizing(path)) return path;
  const segments: string[] = [];
  // Whether the canonical path ends with "/" (a trailing empty, "." or ".." segment).
  let trailingSlash = false;
  const n = path.length;
  let start = 1; // path[0] is "/"
  while (start <= n) {
    let end = path.indexOf('/', start);
    if (end === -1) end = n;
    const last = end === n;

    // Canonicalize the segment's percent-encodings, copying plain runs whole.
    let segment = '';
    let run = start;
    let maybeHidden = false;
    for (let i = start; i < end; i++) {
      const c = path.charCodeAt(i);
      if (c === BACKSLASH_CODE) return BACKSLASH;
      if (c === 59 /* ; */) maybeHidden = true;
      if (c !== PERCENT) continue;
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = i + 2 < end ? hexValue(path.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) return INVALID_ENCODING;
      const byte = hi * 16 + lo;
      if (byte < 0x20 || byte === 0x7f) return ENCODED_CONTROL;
      segment += path.slice(run, i);
      if (isUnreserved(byte)) segment += String.fromCharCode(byte);
      else {
        segment += `%${HEX[hi]}${HEX[lo]}`;
        maybeHidden = true;
      }
      i += 2;
      run = i + 1;
    }
    segment = run === start ? path.slice(start, end) : segment + path.slice(run, end);

    if (segment === '' || segment === '.') {
      // Merged slash or "." (§5.2.4 step 2B): dropped.
      if (last) trailingSlash = true;
    } else if (segment === '..') {
      // §5.2.4 step 2C: removes the previous segment; there must be one.
      if (segments.pop() === undefined) return ABOVE_ROOT;
      if (last) trailingSlash = true;
    } else {
      if (maybeHidden && hidesDotSegment(segment)) return HIDDEN_DOT_SEGMENT;
      segments.push(segment);
      if (last) trailingSlash = false;
    }
    start = end + 1;
  }
  if (segments.length === 0) return '/';
  const canonical = `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
  // Same text (e.g. `/.well-known/x`): hand back the original and let the copy go.
  return canonical === path ? path : canonical;
}
