/**
 * Variants (RFC 9111 §4.1): a stored response names the request headers it varies on; a later
 * request is served from it only if those headers match. The route's key headers are added to
 * the response's Vary list, so they select variants the same way.
 */

/** Reads request headers by lower-case name (repeated fields joined with ", "). */
export type HeaderReader = (name: string) => string | undefined;

/** The lower-case header names to match on, or null for none; `Vary: *` never reaches here (not stored). */
export function varyNames(vary: string | undefined, keyHeaders: readonly string[]): string[] | null {
  const names: string[] = [];
  if (vary !== undefined) {
    for (const part of vary.split(',')) {
      const n = part.trim().toLowerCase();
      if (n !== '' && !names.includes(n)) names.push(n);
    }
  }
  for (const h of keyHeaders) {
    const n = h.toLowerCase();
    if (!names.includes(n)) names.push(n);
  }
  return names.length === 0 ? null : names;
}

/** §4.1: values are compared after normalizing whitespace around commas (semantically equivalent). */
export function normalizeValue(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.trim().replace(/\s*,\s*/g, ',');
}

/** The request's values of `names`, normalized. */
export function varyValues(names: readonly string[] | null, header: HeaderReader): (string | undefined)[] {
  if (names === null) return [];
  return names.map((n) => normalizeValue(header(n)));
}

/** §4.1: a request matches a stored variant when every named header has the same value (or is absent from both). */
export function varyMatches(names: readonly string[] | null, values: readonly (string | undefined)[], header: HeaderReader): boolean {
  if (names === null) return true;
  for (let i = 0; i < names.length; i++) if (normalizeValue(header(names[i]!)) !== values[i]) return false;
  return true;
}

/** An identity for a variant (names and values), used to replace an older copy of the same variant. */
export function variantId(names: readonly string[] | null, values: readonly (string | undefined)[]): string {
  if (names === null) return '';
  return JSON.stringify([names, values]);
}
