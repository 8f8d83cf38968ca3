/**
 * Consistent hashing on a request key (config `hashOn`: ip, path, header:NAME or cookie:NAME)
 * over a weighted Maglev table (Eisenbud et al., NSDI 2016; see maglev.ts): the same key goes
 * to the same target for as long as that target is available, and each target gets its
 * weight's share of the keys.
 *
 * The table is built once, over all targets of the group. A key whose slot belongs to a target
 * that is not eligible (down, ejected, drained, or already tried by this request) walks forward
 * through the table to the next eligible target. Only the keys of the missing target move, and
 * they spread over the others in proportion to their slots; when it comes back, they return.
 * (Rebuilding over the eligible set would also move some keys between targets that stayed.)
 *
 * Slow start: a target ramping up keeps a key only if the key's own fraction `u` (a second,
 * independent hash of the key, uniform in [0, 1)) is below `effectiveWeight / weight`; other
 * keys walk on. So it takes its ramped share at once, and the set of keys it takes only grows
 * as it ramps, without shuffling keys between the others.
 *
 * A request without the key (no such header or cookie, or an empty value) is balanced by
 * weighted random.
 */
import { buildMaglevTable, fmix32, hashString } from './maglev.js';
import { isEligible, type BalancingPolicy, type PolicyOptions, type SelectInput } from './policy.js';
import { createRandom } from './random.js';
import type { TargetState } from './target-state.js';

/** 2^-32: turns an unsigned 32-bit hash into a fraction in [0, 1). */
const TO_FRACTION = 1 / 4_294_967_296;
/** Key hash → slow-start fraction: a different finalization of the key hash. */
const FRACTION_SALT = 0x5bd1e995;

export function createHash(targets: readonly TargetState[], options: PolicyOptions): BalancingPolicy {
  const keyHash = compileKeyHash(options.hashOn);
  const table = buildMaglevTable(
    targets.map((t) => t.id),
    targets.map((t) => t.weight),
  );
  const size = table.length;
  const fallback = createRandom(targets);
  // Walk bookkeeping, allocated once: seen[i] === epoch when target i was met on this walk.
  const seen = new Uint32Array(targets.length);
  let epoch = 0;

  return {
    select(input, now, tried) {
      const h = keyHash(input);
      if (h === -1 || size === 0) return fallback.select(input, now, tried);
      let u = -1; // the key's slow-start fraction, computed when a ramping target is met
      let firstEligible = -1;
      let unmet = -1; // eligible targets not met yet on the walk; counted at the first miss
      for (let s = h % size, steps = 0; steps < size; steps++, s = s + 1 < size ? s + 1 : 0) {
        const i = table[s]!;
        const t = targets[i]!;
        const eligible = isEligible(t, now, tried);
        if (eligible) {
          const w = t.weight;
          const ew = t.effectiveWeight(now);
          if (ew >= w) return i;
          if (u === -1) u = fmix32(h ^ FRACTION_SALT) * TO_FRACTION;
          if (u * w < ew) return i;
          if (firstEligible === -1) firstEligible = i;
        }
        if (unmet === -1) {
          // First miss: bound the walk by the eligible targets instead of the table's size.
          epoch = epoch === 0xffffffff ? (seen.fill(0), 1) : epoch + 1;
          unmet = countEligible(targets, now, tried);
          if (unmet === 0) return -1;
        }
        if (eligible && seen[i] !== epoch) {
          seen[i] = epoch;
          // Every eligible target is ramping and turned this key away: the first one met takes it.
          if (--unmet === 0) return firstEligible;
        }
      }
      return firstEligible;
    },
  };
}

function countEligible(targets: readonly TargetState[], now: number, tried: readonly TargetState[]): number {
  let count = 0;
  for (let i = 0; i < targets.length; i++) if (isEligible(targets[i]!, now, tried)) count++;
  return count;
}

/**
 * Compiles `hashOn` into a function giving the key's hash for a request (unsigned 32-bit),
 * or -1 when the request has no key. The key is hashed in place (no substring for cookies).
 */
export function compileKeyHash(hashOn: string): (input: SelectInput) => number {
  if (hashOn === 'ip') return (input) => hashOrMissing(input.clientIp);
  if (hashOn === 'path') return (input) => hashOrMissing(input.path);
  if (hashOn.startsWith('header:')) {
    const name = hashOn.slice('header:'.length).toLowerCase();
    return (input) => hashOrMissing(input.header(name));
  }
  if (hashOn.startsWith('cookie:')) {
    const name = hashOn.slice('cookie:'.length);
    return (input) => {
      const cookies = input.header('cookie');
      return cookies === undefined ? -1 : hashCookie(cookies, name);
    };
  }
  throw new Error(`hashOn: expected ip, path, header:NAME or cookie:NAME, got "${hashOn}"`);
}

function hashOrMissing(key: string | undefined): number {
  return key === undefined || key.length === 0 ? -1 : hashString(key);
}

/**
 * Hash of the value of cookie `name` in a Cookie header (RFC 6265 section 4.2: `name=value`
 * pairs separated by `;` and optional whitespace; the first pair with that name wins; names
 * are case-sensitive), or -1 when there is no such cookie or its value is empty.
 */
export function hashCookie(header: string, name: string): number {
  const len = header.length;
  let p = 0;
  while (p < len) {
    while (p < len && isSpace(header.charCodeAt(p))) p++;
    let end = header.indexOf(';', p);
    if (end === -1) end = len;
    if (header.startsWith(name, p) && header.charCodeAt(p + name.length) === 0x3d /* = */) {
      const start = p + name.length + 1;
      let stop = end;
      while (stop > start && isSpace(header.charCodeAt(stop - 1))) stop--;
      return stop > start ? hashString(header, 0, start, stop) : -1;
    }
    p = end + 1;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
