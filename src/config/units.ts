/**
 * Durations and sizes as users write them in the config file (CONFIG.md):
 * durations `250ms`, `30s`, `5m`, `1h`; sizes `512KiB`, `10MiB`, `1GiB` or a byte count.
 * Both parse to plain numbers (milliseconds, bytes) so the runtime never re-parses.
 */
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};

/**
 * Parses `250ms`, `30s`, `1.5m`, `1h` into milliseconds. A bare number is refused (is `10`
 * seconds or milliseconds?) except 0, which needs no unit.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return input === 0 ? 0 : undefined;
  if (input.trim() === '0') return 0;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(input);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

/** Parses `512KiB`, `10MiB`, `1GiB`, `100kB` (or a bare number of bytes) into bytes. */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

/** A duration field: accepts `30s` etc., yields milliseconds. */
export function duration() {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a duration with a unit, like 250ms, 30s, 5m or 1h, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ format: 'duration' });
}

/** A size field: accepts `10MiB` etc., yields bytes. */
export function size() {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const bytes = parseSize(v);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected a size like 512KiB, 10MiB, 1GiB or a number of bytes, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return bytes;
    })
    .meta({ format: 'size' });
}
