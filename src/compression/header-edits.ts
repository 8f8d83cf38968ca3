/**
 * The header changes that go with compressing a response, on flat [name, value, …] lists
 * (edited in place: the lists are the response's own, built for this response).
 */

/**
 * RFC 9110 §12.5.5: adds Accept-Encoding to Vary, merged into an existing Vary line (never a
 * second mention). `Vary: *` already says the response varies on everything (RFC 9110 §12.5.5).
 */
export function addVaryAcceptEncoding(headers: string[]): void {
  let first = -1;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'vary') continue;
    if (first === -1) first = i;
    for (const part of headers[i + 1]!.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === 'accept-encoding' || name === '*') return;
    }
  }
  if (first === -1) headers.push('Vary', 'Accept-Encoding');
  else {
    const value = headers[first + 1]!.trim();
    headers[first + 1] = value === '' ? 'Accept-Encoding' : `${value}, Accept-Encoding`;
  }
}

/** Fields that describe the identity bytes and become false once they are compressed. */
const DROPPED_WHEN_ENCODED = new Set([
  // The writer frames the compressed body itself (RFC 9112 §6).
  'content-length',
  // RFC 9110 §14.3: byte ranges are of the selected representation; a compressed one is made
  // per response and cannot be ranged again (ranges are never compressed: policy.ts).
  'accept-ranges',
  // RFC 9530: digests of the content / representation that is no longer sent.
  'content-digest',
  'repr-digest',
  'content-md5',
  // `Content-Encoding: identity` (not a coding, RFC 9110 §8.4.1) is replaced below.
  'content-encoding',
]);

/**
 * The head of a response whose content is sent compressed with `coding` (RFC 9110 §8.4):
 * Content-Encoding added, fields about the identity bytes removed, a strong ETag weakened
 * (§8.8.3: a strong validator names exact bytes; the compressed bytes differ per coding and
 * level, while W/ keeps If-None-Match working, as its comparison is weak, §13.1.2), and Vary.
 */
export function toEncodedHead(headers: string[], coding: string): void {
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const lower = name.toLowerCase();
    if (DROPPED_WHEN_ENCODED.has(lower)) continue;
    headers[w] = name;
    headers[w + 1] = lower === 'etag' ? weakETag(headers[i + 1]!) : headers[i + 1]!;
    w += 2;
  }
  headers.length = w;
  headers.push('Content-Encoding', coding);
  addVaryAcceptEncoding(headers);
}

/**
 * The trailer section of a response sent compressed (RFC 9110 §6.5): the same fields as in the
 * head describe the identity bytes (a Content-Digest or Repr-Digest, RFC 9530, of bytes that are
 * not sent) and go; a strong ETag is weakened. Null when nothing is left.
 */
export function toEncodedTrailers(fields: readonly string[]): string[] | null {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const lower = fields[i]!.toLowerCase();
    if (DROPPED_WHEN_ENCODED.has(lower)) continue;
    out.push(fields[i]!, lower === 'etag' ? weakETag(fields[i + 1]!) : fields[i + 1]!);
  }
  return out.length === 0 ? null : out;
}

/** `"x"` → `W/"x"` (RFC 9110 §8.8.3); a weak tag stays as it is. */
export function weakETag(etag: string): string {
  const t = etag.trim();
  return t.startsWith('W/') ? t : `W/${t}`;
}

/** Weakens the ETag lines of `headers` (a 304 about a compressed representation). */
export function weakenETags(headers: string[]): void {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'etag') headers[i + 1] = weakETag(headers[i + 1]!);
}
