/**
 * Pieces of JSON text built by hand for the access log's hot path (one line per request):
 * `JSON.stringify` of a record object costs several times more than concatenating the few
 * fields, most of which need no escaping at all.
 */

/**
 * Whether `s` has a character that a JSON string must or may escape, or anything not plain
 * ASCII: controls, `"`, `\`, 0x7f and above. (The same set httpd escapes in the combined
 * format: log-item-escape.ts.) A loop over char codes rather than a regular expression: the
 * lines' fields are short, and a regexp test per field cost more than the scan itself in a
 * profile of the proxy (8 per line; docs/benchmarks.md).
 */
export function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) return true;
  }
  return false;
}

/**
 * The JSON string literal of `s` (RFC 8259 §7). Printable ASCII without `"` or `\` — request
 * ids, addresses, methods, most paths — is copied as is; anything else goes through
 * JSON.stringify, which escapes controls and lone surrogates.
 */
export function jsonString(s: string): string {
  return needsEscape(s) ? JSON.stringify(s) : `"${s}"`;
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond asked: under load many
 * lines end within the same millisecond, and formatting a Date is the dearest part of a line.
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * jsonString of the last string asked, kept: most of a line's fields (method, host, client
 * address, route, upstream, target) repeat from one request to the next, and a repeated value
 * is the same string object or a short compare away, where quoting it again means a scan and
 * a new string per field per line.
 */
export class JsonStringMemo {
  private last = '';
  private lastJson = '""';

  of(s: string): string {
    if (s !== this.last) {
      this.lastJson = jsonString(s);
      this.last = s;
    }
    return this.lastJson;
  }
}
