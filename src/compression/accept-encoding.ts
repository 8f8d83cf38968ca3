/**
 * Content negotiation on Accept-Encoding (RFC 9110 §12.5.3, weights §12.4.2): which of the
 * codings a route offers the client gets, or none.
 */
import type { Algorithm } from './config.js';

/** RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * The weight of each coding the client named, lower-case ("x-gzip" counted as gzip,
 * RFC 9110 §8.4.1.3), `*` included. An element with a malformed weight is ignored; when a
 * coding is named twice the first wins.
 */
export function parseAcceptEncoding(value: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const element of value.split(',')) {
    const semi = element.indexOf(';');
    let name = (semi === -1 ? element : element.slice(0, semi)).trim().toLowerCase();
    if (name === '') continue;
    if (name === 'x-gzip') name = 'gzip';
    let q = 1;
    if (semi !== -1) {
      let valid = true;
      for (const param of element.slice(semi + 1).split(';')) {
        const eq = param.indexOf('=');
        if (eq === -1) continue;
        if (param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
        const text = param.slice(eq + 1).trim();
        if (!QVALUE.test(text)) valid = false;
        else q = Number(text);
      }
      if (!valid) continue;
    }
    if (!weights.has(name)) weights.set(name, q);
  }
  return weights;
}

/**
 * RFC 9110 §12.5.3: the coding to send, among `offered` (the route's order of preference),
 * or null for none (identity).
 *
 * - No Accept-Encoding: identity. The RFC lets a server pick any coding then, but a client
 *   that sends none (old HTTP/1.0 software, scripts) is better served as it asked nothing.
 * - An empty value means identity only.
 * - A coding is acceptable when its weight — its own, else that of `*` — is above 0 (q=0 means
 *   "not acceptable"). The highest weight wins; equal weights go by the route's order.
 * - A coding weighted below an explicitly listed `identity` loses to identity.
 */
export function negotiateEncoding(header: string | undefined, offered: readonly Algorithm[]): Algorithm | null {
  if (header === undefined) return null;
  const weights = parseAcceptEncoding(header);
  if (weights.size === 0) return null;
  const star = weights.get('*');
  let best: Algorithm | null = null;
  let bestQ = 0;
  for (const coding of offered) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const identity = weights.get('identity');
  if (best !== null && identity !== undefined && identity > bestQ) return null;
  return best;
}
