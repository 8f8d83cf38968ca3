/**
 * The `expectStatus` of an active health check ("200-399" or "204") as a numeric range,
 * parsed once when the checker is built so that no check re-parses a string.
 */

/** Inclusive range of HTTP status codes. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Parses a status ("204") or an inclusive range ("200-399"). The config schema has already
 * validated the shape; this still throws on anything else so a bad caller fails loudly
 * instead of accepting every status.
 */
export function parseStatusRange(spec: string): StatusRange {
  const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d)\s*)?$/.exec(spec);
  if (m === null) throw new RangeError(`invalid status range "${spec}": expected e.g. 204 or 200-399`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min > max) throw new RangeError(`invalid status range "${spec}": it must run from low to high`);
  return { min, max };
}

/** `status` lies inside `range` (both ends included). */
export function isInStatusRange(status: number, range: StatusRange): boolean {
  return status >= range.min && status <= range.max;
}
