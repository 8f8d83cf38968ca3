/**
 * Pieces of JSON text built by hand for the access log's hot path (one line per request):
 * `JSON.stringify` of a record object costs several times more than concatenating the few
 * fields, most of which need no escaping at all.
 */

/** Any character that a JSON string must or may escape, and anything not plain ASCII. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u007f-\uffff]/;

/**
 * The JSON string literal of `s` (RFC 8259 §7). Printable ASCII without `"` or `\` — request
 * ids, addresses, methods, most paths — is copied as is; anything else goes through
 * JSON.stringify, which escapes controls and lone surrogates.
 */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
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
