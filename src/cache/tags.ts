/**
 * Purge tags: `Cache-Tag` and `Surrogate-Key` response fields name groups of responses that
 * the admin API can purge together (`POST /api/cache/purge {"tag": …}`). They are meant for
 * this cache only: they are taken out of the response before any client sees it, and kept
 * with the stored response. Values are lists separated by commas and/or spaces.
 */

const TAG_FIELDS = new Set(['cache-tag', 'surrogate-key']);
const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * Removes the tag fields from `headers` (a flat [name, value, …] list, changed in place) and
 * returns their tags (compared exactly, case included), without duplicates.
 */
export function takeTags(headers: string[]): readonly string[] {
  let tags: string[] | null = null;
  for (let i = 0; i < headers.length; ) {
    if (!TAG_FIELDS.has(headers[i]!.toLowerCase())) {
      i += 2;
      continue;
    }
    tags ??= [];
    for (const t of headers[i + 1]!.split(/[\s,]+/)) if (t !== '' && !tags.includes(t)) tags.push(t);
    headers.splice(i, 2);
  }
  return tags ?? NO_TAGS;
}
