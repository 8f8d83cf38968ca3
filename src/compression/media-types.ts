/**
 * Which media types are compressed (`compression.types`). Patterns are `type/subtype`,
 * `type/*` or `type/*+suffix` (RFC 6838 §4.2.8 structured syntax suffixes such as +json), matched
 * against the Content-Type without its parameters (RFC 9110 §8.3.1), case-insensitively.
 */

/**
 * Default: text formats and the structured-text application types, like nginx's and Caddy's
 * lists. Not text/event-stream: an event stream is made of small messages that must not wait.
 */
export const DEFAULT_TYPES: readonly string[] = [
  'text/html',
  'text/plain',
  'text/css',
  'text/javascript',
  'text/xml',
  'text/csv',
  'text/markdown',
  'text/calendar',
  'text/vtt',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/json',
  'application/*+json',
  'application/xml',
  'application/*+xml',
  'application/wasm',
  'application/graphql-response+json',
  'application/x-ndjson',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'font/ttf',
  'font/otf',
  'image/svg+xml',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/bmp',
];

/**
 * Media types whose content is already compressed: compressing them again costs CPU and saves
 * nothing (often it grows). Refused in `compression.types` (config.ts), with `image/*`,
 * `video/*` and `audio/*`.
 */
export const ALREADY_COMPRESSED: ReadonlySet<string> = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'image/jxl',
  'video/mp4', 'video/webm', 'audio/mpeg', 'audio/ogg', 'audio/aac',
  'font/woff', 'font/woff2',
  'application/zip', 'application/gzip', 'application/x-gzip', 'application/zstd', 'application/x-bzip2',
  'application/x-xz', 'application/x-7z-compressed', 'application/x-rar-compressed', 'application/vnd.rar',
  'application/pdf', 'application/octet-stream',
]);

const PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|\*\+[a-z0-9!#$&^_.-]+|[a-z0-9][a-z0-9!#$&^_.+-]*)$/;

/** Whether `pattern` is a valid entry of `compression.types`. */
export function isMediaTypePattern(pattern: string): boolean {
  return PATTERN.test(pattern.toLowerCase());
}

/** Why an entry of `compression.types` is refused, or undefined when it is fine. */
export function alreadyCompressedReason(pattern: string): string | undefined {
  const p = pattern.toLowerCase();
  if (ALREADY_COMPRESSED.has(p)) return `${p} is already compressed; compressing it again costs CPU and saves nothing`;
  if (p === 'image/*' || p === 'video/*' || p === 'audio/*') return `${p} covers already-compressed formats (PNG, JPEG, MP4…); list the compressible ones (image/svg+xml) instead`;
  return undefined;
}

/** A compiled `compression.types` list: one Set for exact types, short lists for the patterns. */
export class MediaTypeMatcher {
  private readonly exact = new Set<string>();
  /** `type/` of `type/*` patterns. */
  private readonly prefixes: string[] = [];
  /** [`type/`, `+suffix`] of `type/*+suffix` patterns. */
  private readonly suffixes: [string, string][] = [];

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      const p = raw.toLowerCase();
      const slash = p.indexOf('/');
      const sub = p.slice(slash + 1);
      if (sub === '*') this.prefixes.push(p.slice(0, slash + 1));
      else if (sub.startsWith('*+')) this.suffixes.push([p.slice(0, slash + 1), sub.slice(1)]);
      else this.exact.add(p);
    }
  }

  /** Whether a Content-Type field value (parameters allowed) is in the list. */
  matches(contentType: string): boolean {
    const semi = contentType.indexOf(';');
    const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (this.exact.has(type)) return true;
    for (const prefix of this.prefixes) if (type.startsWith(prefix)) return true;
    for (const [prefix, suffix] of this.suffixes) if (type.startsWith(prefix) && type.endsWith(suffix)) return true;
    return false;
  }
}
