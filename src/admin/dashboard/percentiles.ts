/**
 * Latency percentiles from histogram buckets. The proxy keeps durations as bucket counts (no
 * per-request samples), so a percentile is estimated like Prometheus' histogram_quantile():
 * find the bucket holding the rank and interpolate linearly inside it.
 */

/**
 * The `q` quantile (0..1) of non-cumulative `counts` over `bounds` (the last count is +Inf), or
 * null when there are no observations. A rank in the +Inf bucket answers the last finite bound.
 */
export function quantile(q: number, bounds: readonly number[], counts: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i]!;
    if (below + inBucket >= rank && inBucket > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      return lower + (upper - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1] ?? null;
}
