/**
 * zstd (RFC 8878, content coding `zstd`) exists in node:zlib only from Node 22.15 / 23.8
 * (`zlib.createZstdCompress`); Node 20 has none. Looked up once, through a narrow type, since
 * @types/node 20 does not declare it.
 */
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';

interface ZstdZlib {
  createZstdCompress?: (options?: { params?: Record<number, number>; chunkSize?: number; writableHighWaterMark?: number }) => Transform;
  zstdCompress?: (buf: Buffer, options: { params?: Record<number, number> }, cb: (err: Error | null, out: Buffer) => void) => void;
  zstdCompressSync?: (buf: Buffer, options: { params?: Record<number, number> }) => Buffer;
  constants: { ZSTD_c_compressionLevel?: number };
}

const z = zlib as unknown as ZstdZlib;

/** Whether this Node can compress with zstd. */
export const ZSTD_AVAILABLE = typeof z.createZstdCompress === 'function' && typeof z.zstdCompress === 'function' && typeof z.zstdCompressSync === 'function';

function zstdParams(level: number): Record<number, number> {
  return { [z.constants.ZSTD_c_compressionLevel ?? 100]: level };
}

/** A streaming zstd compressor (only when ZSTD_AVAILABLE). */
export function createZstdCompress(level: number, chunkSize: number): Transform {
  return z.createZstdCompress!({ params: zstdParams(level), chunkSize, writableHighWaterMark: 128 * 1024 });
}

/** One-shot zstd compression on the thread pool (only when ZSTD_AVAILABLE). */
export function zstdCompress(body: Buffer, level: number, cb: (err: Error | null, out: Buffer) => void): void {
  z.zstdCompress!(body, { params: zstdParams(level) }, cb);
}

/** One-shot zstd compression on the event loop (only when ZSTD_AVAILABLE; small fixed bodies). */
export function zstdCompressSync(body: Buffer, level: number): Buffer {
  return z.zstdCompressSync!(body, { params: zstdParams(level) });
}
