/** The IMF-fixdate of now (RFC 9110 §5.6.7), recomputed at most once a second. */
let cached = '';
let cachedSecond = -1;

export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = new Date(second * 1000).toUTCString();
  }
  return cached;
}
