/**
 * Escaping for the fields of the combined access-log format, byte for byte as Apache httpd's
 * ap_escape_logitem (server/util.c) does for %r, %{User-Agent}i and %{Referer}i.
 */
import { needsEscape } from './json-text.js';

const HEX = '0123456789abcdef';

/** `\xhh` for one byte (lower-case hex, as httpd's c2x). */
function hexByte(b: number): string {
  return `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
}

/**
 * A field of the combined format escaped as Apache httpd escapes %r and %{…}i
 * (ap_escape_logitem): `"` and `\` get a backslash; \b \n \r \t \v their C escapes; any other
 * byte that is not printable ASCII (below 0x20, 0x7f and above) becomes `\xhh`. A request
 * line or header then cannot end the quoted field, start a new line or carry bytes a log
 * parser chokes on (log injection). The bytes are the ones received: llhttp gives the target
 * and header values as Latin-1 (one char per byte); a char above 0xff (only possible from
 * HTTP/2) is escaped byte by byte of its UTF-8 form. Clean values (nearly all) are returned
 * as they are after one scan, without allocating.
 */
export function escapeLogItem(v: string): string {
  // What httpd escapes is what JSON text escapes: not printable ASCII, `"` and `\`.
  if (!needsEscape(v)) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += v[i];
    else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c <= 0xff) out += hexByte(c);
    else {
      const cp = v.codePointAt(i)!;
      if (cp > 0xffff) i++; // the low surrogate is part of this code point
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += hexByte(b);
    }
  }
  return out;
}
