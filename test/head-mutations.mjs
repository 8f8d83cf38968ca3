// Mutated HTTP heads for the differential tests of the heads read without llhttp
// (test/server/simple-request-head.test.mjs, test/upstream/simple-response-head.test.mjs): the
// same mutations on every run, from a seeded PRNG.

/** A small deterministic PRNG (mulberry32). */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes that matter to the grammar of a head, and some that do not. */
export const HEAD_BYTES = [0x0d, 0x0a, 0x00, 0x09, 0x20, 0x3a, 0x2c, 0x7f, 0x80, 0xff, 0x0b, 0x0c, 0x22, 0x2f, 0x3b, 0x3d, 0x2d, 0x30, 0x31, 0x35, 0x39, 0x41, 0x61, 0x7a, 0x5a, 0x28];

/**
 * Yields `count` heads, each one of `bases` (latin1 strings) with one to three edits: a byte of
 * `alphabet` inserted or written over one, a byte removed, a letter's case flipped, or one of
 * the field lines `inserts` put in at the start of a line. Yields { buf, base } (Buffers).
 */
export function* mutatedHeads({ seed, count, bases, alphabet, inserts }) {
  const random = prng(seed);
  const pick = (a) => a[Math.floor(random() * a.length)];
  for (let n = 0; n < count; n++) {
    const base = Buffer.from(pick(bases), 'latin1');
    const b = [...base];
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * b.length);
      const op = random();
      if (op < 0.35) b.splice(at, 0, pick(alphabet));
      else if (op < 0.7) b[at] = pick(alphabet);
      else if (op < 0.85) b.splice(at, 1);
      else if (b[at] >= 0x41 && b[at] <= 0x7a) b[at] ^= 0x20; // letter case
      else {
        const line = b.indexOf(0x0a, at);
        if (line !== -1) b.splice(line + 1, 0, ...Buffer.from(pick(inserts), 'latin1'));
      }
    }
    yield { buf: Buffer.from(b), base };
  }
}
