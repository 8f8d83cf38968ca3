/**
 * Whether a response is compressed, and how its head changes (RFC 9110 §8.4, §12.5.3,
 * §12.5.5). One RouteCompression per route with `compression`, built once from its config.
 */
import { negotiateEncoding } from './accept-encoding.js';
import type { Algorithm, RouteCompressionConfig } from './config.js';
import { addVaryAcceptEncoding, toEncodedHead, weakenETags } from './header-edits.js';
import { MediaTypeMatcher } from './media-types.js';

/** The request as far as compression depends on it (the pipeline's Session fits). */
export interface CompressionRequest {
  readonly method: string;
  header(name: string): string | undefined;
}

/**
 * What a response is, for compression, before the client is asked (table-tested):
 * - `compressible`: its content may be compressed; the answer differs by Accept-Encoding.
 * - anything else: sent as it is, whatever the client accepts (so no Vary is added either).
 */
export type Compressibility =
  | 'compressible'
  /** 1xx, 204, 304 have no content (RFC 9110 §6.4.1, §15.3.5, §15.4.5). */
  | 'no-content'
  /** 206 or Content-Range: a part of the identity bytes (RFC 9110 §14.4, §15.3.7). */
  | 'partial'
  /** Cache-Control: no-transform (RFC 9111 §5.2.2.6, §5.2.1.6; RFC 9110 §7.7). */
  | 'no-transform'
  /** Content-Encoding already set by the origin: passed through as it is. */
  | 'encoded'
  /** No Content-Type, or one not in `types` (already-compressed formats are never listed). */
  | 'type'
  /** Known length below minBytes: compression would save next to nothing. */
  | 'small';

/** The fields of a response head compression looks at. */
interface HeadFields {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentRange: boolean;
  noTransform: boolean;
}

function readFields(headers: readonly string[]): HeadFields {
  let contentType: string | undefined;
  let contentEncoding: string | undefined;
  let contentRange = false;
  let noTransform = false;
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i]!.toLowerCase();
    if (lower === 'content-type') contentType ??= headers[i + 1]!;
    else if (lower === 'content-encoding') {
      const v = headers[i + 1]!.trim().toLowerCase();
      // RFC 9110 §8.4.1: identity is not a content coding; "identity" means none.
      if (v !== '' && v !== 'identity') contentEncoding = v;
    } else if (lower === 'content-range') contentRange = true;
    else if (lower === 'cache-control' && hasNoTransform(headers[i + 1]!)) noTransform = true;
  }
  return { contentType, contentEncoding, contentRange, noTransform };
}

/** RFC 9111 §5.2: Cache-Control directives are case-insensitive tokens. */
function hasNoTransform(cacheControl: string): boolean {
  return /(?:^|,)\s*no-transform\s*(?:,|$|=)/i.test(cacheControl);
}

export class RouteCompression {
  readonly algorithms: readonly Algorithm[];
  readonly minBytes: number;
  readonly levels: Readonly<Record<Algorithm, number>>;
  private readonly types: MediaTypeMatcher;

  constructor(config: RouteCompressionConfig) {
    this.algorithms = config.algorithms;
    this.minBytes = config.minBytes;
    this.levels = config.level;
    this.types = new MediaTypeMatcher(config.types);
  }

  /** The response side of the decision (`contentLength` -1 when unknown). */
  compressibility(status: number, headers: readonly string[], contentLength: number): Compressibility {
    if (status < 200 || status === 204 || status === 304) return 'no-content';
    if (status === 206) return 'partial';
    const f = readFields(headers);
    if (f.contentRange) return 'partial';
    if (f.noTransform) return 'no-transform';
    if (f.contentEncoding !== undefined) return 'encoded';
    if (f.contentType === undefined || !this.types.matches(f.contentType)) return 'type';
    if (contentLength >= 0 && contentLength < this.minBytes) return 'small';
    return 'compressible';
  }

  /**
   * The coding for `req` of a compressible response, or null for identity. Never for a
   * request with Range (RFC 9110 §14.2: the client asks for identity bytes it may already
   * partly hold) or Cache-Control: no-transform (RFC 9111 §5.2.1.6).
   */
  codingFor(req: CompressionRequest): Algorithm | null {
    if (req.header('range') !== undefined) return null;
    const cc = req.header('cache-control');
    if (cc !== undefined && hasNoTransform(cc)) return null;
    return negotiateEncoding(req.header('accept-encoding'), this.algorithms);
  }

  /**
   * Decides for a response about to be sent and edits its head (in place): returns the coding
   * to compress the body with, or null to send it as it is. A compressible response gets
   * Vary: Accept-Encoding whatever the choice (RFC 9110 §12.5.5: the identity answer differs
   * by Accept-Encoding too). For HEAD the head is the one GET would get (§9.3.2).
   */
  prepare(req: CompressionRequest, status: number, headers: string[], contentLength: number): Algorithm | null {
    const what = this.compressibility(status, headers, contentLength);
    if (what !== 'compressible') {
      if (status === 304) this.prepareNotModified(req, headers);
      return null;
    }
    const coding = this.codingFor(req);
    if (coding === null) addVaryAcceptEncoding(headers);
    else toEncodedHead(headers, coding);
    return coding;
  }

  /**
   * RFC 9110 §15.4.5: a 304 carries the ETag and Vary the 200 would have. A 304 has no
   * Content-Type to decide by, so it is read from the client: it revalidates the compressed
   * representation when its If-None-Match holds the weak form (W/"x") of the 304's strong tag
   * and not the strong one, and it would get a coding now.
   */
  private prepareNotModified(req: CompressionRequest, headers: string[]): void {
    const inm = req.header('if-none-match');
    if (inm === undefined) return;
    let etag: string | undefined;
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'etag') etag = headers[i + 1]!.trim();
    if (etag === undefined || etag.startsWith('W/')) return;
    let weak = false;
    for (const part of inm.split(',')) {
      const t = part.trim();
      if (t === etag) return;
      if (t === `W/${etag}`) weak = true;
    }
    if (!weak || this.codingFor(req) === null) return;
    weakenETags(headers);
    addVaryAcceptEncoding(headers);
  }

  /**
   * A 304 answered from a stored response (RFC 9111 §4.3.2) whose 200 is known: the same ETag
   * and Vary as that 200 would get now (RFC 9110 §15.4.5).
   */
  prepareStoredNotModified(req: CompressionRequest, stored: { status: number; headers: readonly string[]; bodyLength: number }, headers304: string[]): void {
    if (this.compressibility(stored.status, stored.headers, stored.bodyLength) !== 'compressible') return;
    if (this.codingFor(req) !== null) weakenETags(headers304);
    addVaryAcceptEncoding(headers304);
  }
}
