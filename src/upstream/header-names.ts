/**
 * Field names looked up without lower-casing them. Names are case-insensitive (RFC 9110 §5.1)
 * and arrive in whatever case the peer sent ("Content-Type"); lower-casing each one makes a
 * new string whose hash a Set lookup must then compute, for every header of every request and
 * response. Here a name is compared in place with the few candidates of its length.
 */

/**
 * Whether `name` equals `lower` (lower case) ignoring ASCII case. Only letters fold: a field
 * name is a token (RFC 9110 §5.6.2), and no other character has a case.
 */
export function sameName(name: string, lower: string): boolean {
  const n = lower.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

/** A set of field names (given in any case) that matches names in any case. */
export class HeaderNameSet {
  /** The names (lower case), by length. */
  private readonly byLength: (string[] | undefined)[] = [];

  constructor(names: Iterable<string>) {
    const all = new Set<string>();
    for (const name of names) all.add(name.toLowerCase());
    for (const lower of all) (this.byLength[lower.length] ??= []).push(lower);
  }

  /** The set's name (lower case) that `name` is, or undefined. */
  find(name: string): string | undefined {
    const candidates = this.byLength[name.length];
    if (candidates === undefined) return undefined;
    for (let i = 0; i < candidates.length; i++) if (sameName(name, candidates[i]!)) return candidates[i];
    return undefined;
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }
}
