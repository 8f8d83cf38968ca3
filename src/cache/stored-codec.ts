/**
 * A stored response as bytes, for a store outside this process (the Redis tier): the body plus
 * every field freshness and selection are judged by (RFC 9111 §4.1 Vary, §4.2.1 lifetime,
 * §4.2.3 initial age and response time, §5.2.2 directives, RFC 5861 windows, validators, tags),
 * so an instance that reads an entry judges it exactly as the instance that stored it.
 * Response times are wall-clock milliseconds: the instances' clocks must agree (NTP) for ages
 * to agree.
 *
 * Derived representations (compression's copies) are not encoded: the instance that reads an
 * entry derives its own when it needs one.
 *
 * Layout: "BC1" (format version), a 4-byte big-endian length, that many bytes of JSON metadata,
 * then the body.
 */
import { responseSize, serializeStoredHead, type CachedResponse } from './store.js';

const MAGIC = Buffer.from('BC1');

interface Meta {
  status: number;
  headers: string[];
  varyNames: string[] | null;
  /** undefined (header absent) is sent as null. */
  varyValues: (string | null)[];
  variantId: string;
  initialAge: number;
  responseTime: number;
  lifetime: number;
  mustRevalidate: boolean;
  noCache: boolean;
  etag: string | null;
  lastModified: string | null;
  swr: number;
  sie: number;
  tags: string[];
}

export function encodeStored(r: CachedResponse): Buffer {
  const meta: Meta = {
    status: r.status,
    headers: r.headers,
    varyNames: r.varyNames === null ? null : [...r.varyNames],
    varyValues: r.varyValues.map((v) => v ?? null),
    variantId: r.variantId,
    initialAge: r.initialAge,
    responseTime: r.responseTime,
    lifetime: r.lifetime,
    mustRevalidate: r.mustRevalidate,
    noCache: r.noCache,
    etag: r.etag ?? null,
    lastModified: r.lastModified ?? null,
    swr: r.staleWhileRevalidate,
    sie: r.staleIfError,
    tags: [...r.tags],
  };
  const json = Buffer.from(JSON.stringify(meta));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json, r.body]);
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The response `bytes` encode, or undefined when they are not an entry of this format (never throws). */
export function decodeStored(bytes: Buffer): CachedResponse | undefined {
  if (bytes.length < 7 || !bytes.subarray(0, 3).equals(MAGIC)) return undefined;
  const length = bytes.readUInt32BE(3);
  if (7 + length > bytes.length) return undefined;
  let m: Meta;
  try {
    m = JSON.parse(bytes.toString('utf8', 7, 7 + length)) as Meta;
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || typeof m.status !== 'number' || !isStrings(m.headers) || m.headers.length % 2 !== 0 || typeof m.variantId !== 'string') return undefined;
  if (m.varyNames !== null && !isStrings(m.varyNames)) return undefined;
  if (!Array.isArray(m.varyValues) || !isStrings(m.tags)) return undefined;
  // A copy: the reply buffer is not kept alive by a small body.
  const body = Buffer.from(bytes.subarray(7 + length));
  return {
    status: m.status,
    headers: m.headers,
    head: serializeStoredHead(m.status, m.headers, body.length),
    body,
    varyNames: m.varyNames,
    varyValues: m.varyValues.map((v) => (typeof v === 'string' ? v : undefined)),
    variantId: m.variantId,
    initialAge: Number(m.initialAge) || 0,
    responseTime: Number(m.responseTime) || 0,
    lifetime: Number(m.lifetime) || 0,
    mustRevalidate: m.mustRevalidate === true,
    noCache: m.noCache === true,
    etag: typeof m.etag === 'string' ? m.etag : undefined,
    lastModified: typeof m.lastModified === 'string' ? m.lastModified : undefined,
    staleWhileRevalidate: typeof m.swr === 'number' ? m.swr : -1,
    staleIfError: typeof m.sie === 'number' ? m.sie : -1,
    tags: m.tags,
    // Derived representations (compressed copies) are not shared: each instance makes its own.
    derived: null,
    size: responseSize(m.headers, body, m.variantId),
  };
}
