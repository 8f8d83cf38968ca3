/**
 * Weighted Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, section 3.4), and the 32-bit string hash it and the hash policy use.
 *
 * Every target has its own permutation of the table's slots, derived from two hashes of its
 * identity (offset and skip); the targets take turns claiming the next free slot of their
 * permutation until the table is full. A key then maps to `table[hash(key) % size]`. Because a
 * target's permutation depends only on its identity, a table built without one target differs
 * from the full one in little more than that target's slots (the paper measures the extra
 * disruption as small when the table is much larger than the number of targets).
 *
 * Weights: in each round a target earns `weight / maxWeight` of a turn and claims one slot per
 * whole turn earned, so its share of slots is its share of the total weight.
 */

/** Table size: a prime (so every skip in 1..size-1 makes a full permutation), ≥ 100 × targets for up to 655 targets. */
export const MAGLEV_TABLE_SIZE = 65_537;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Unsigned 32-bit hash of `s.slice(start, end)` (without making the slice): FNV-1a over the
 * UTF-16 code units, started from a seed-dependent state, then fmix32. Different seeds give
 * independent hashes of the same string.
 */
export function hashString(s: string, seed = 0, start = 0, end = s.length): number {
  let h = Math.imul(FNV_OFFSET ^ seed, FNV_PRIME);
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return fmix32(h ^ (end - start));
}

/** Seeds of the two hashes of a target's identity. */
const OFFSET_SEED = 0x2545f491;
const SKIP_SEED = 0x9e3779b9;

/**
 * Builds the table: entry `s` is the index (into `ids`/`weights`) of the target owning slot
 * `s`. `ids` are the targets' stable identities; targets with a weight ≤ 0 get no slot
 * (if no weight is positive, all targets count as weight 1). Empty input → empty table.
 */
export function buildMaglevTable(
  ids: readonly string[],
  weights: readonly number[],
  size = MAGLEV_TABLE_SIZE,
): Uint16Array | Uint32Array {
  const n = ids.length;
  const table = n <= 0xffff ? new Uint16Array(n === 0 ? 0 : size) : new Uint32Array(size);
  if (n === 0) return table;

  let maxWeight = 0;
  for (let i = 0; i < n; i++) if (weights[i]! > maxWeight) maxWeight = weights[i]!;
  const share = new Float64Array(n);
  for (let i = 0; i < n; i++) share[i] = maxWeight > 0 ? Math.max(weights[i]!, 0) / maxWeight : 1;

  const offset = new Uint32Array(n);
  const skip = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    offset[i] = hashString(ids[i]!, OFFSET_SEED) % size;
    skip[i] = (hashString(ids[i]!, SKIP_SEED) % (size - 1)) + 1;
  }
  // Turn order by identity, not by position in the config, so reordering targets changes nothing.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : a - b));

  const taken = new Uint8Array(size);
  const next = new Uint32Array(n); // position reached in each target's permutation
  const credit = new Float64Array(n);
  let filled = 0;
  while (filled < size) {
    for (const i of order) {
      credit[i]! += share[i]!;
      while (credit[i]! >= 1 && filled < size) {
        credit[i]! -= 1;
        let slot = (offset[i]! + next[i]! * skip[i]!) % size;
        while (taken[slot] === 1) {
          next[i]!++;
          slot = (offset[i]! + next[i]! * skip[i]!) % size;
        }
        next[i]!++;
        taken[slot] = 1;
        table[slot] = i;
        filled++;
      }
      if (filled === size) break;
    }
  }
  return table;
}
