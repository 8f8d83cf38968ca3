/** node:zlib compressors for each coding, with the options Barbican uses (streaming and one-shot). */
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import type { Algorithm } from './config.js';
import { createZstdCompress, zstdCompress, zstdCompressSync } from './zstd.js';

/** Output chunk size of the streaming compressors (zlib's default is 16 KiB). */
const CHUNK_SIZE = 32 * 1024;

/**
 * Input queued in a streaming compressor before it asks for a pause (stream option
 * writableHighWaterMark, passed on by node:zlib to its Transform; 16 KiB by default): one
 * 64 KiB read from the origin fits.
 */
const STREAM = { writableHighWaterMark: 128 * 1024 } as const;

function brotliParams(level: number, lengthHint: number): Record<number, number> {
  const params: Record<number, number> = {
    [zlib.constants.BROTLI_PARAM_QUALITY]: level,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  };
  // A known size lets brotli size its window and buffers to the content.
  if (lengthHint > 0) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = lengthHint;
  return params;
}

/** A streaming compressor; `lengthHint` is the content's length, or -1. */
export function createCompressor(coding: Algorithm, level: number, lengthHint: number): Transform {
  switch (coding) {
    case 'br':
      return zlib.createBrotliCompress({ ...STREAM, chunkSize: CHUNK_SIZE, params: brotliParams(level, lengthHint) } as zlib.BrotliOptions);
    case 'gzip':
      return zlib.createGzip({ ...STREAM, level, chunkSize: CHUNK_SIZE } as zlib.ZlibOptions);
    case 'zstd':
      return createZstdCompress(level, CHUNK_SIZE);
  }
}

/**
 * Makes `stream` emit everything it was given so far without ending the compressed stream
 * (gzip: Z_SYNC_FLUSH, which keeps the dictionary, unlike the Z_FULL_FLUSH default; brotli
 * and zstd: their flush operation).
 */
export function flushCompressor(coding: Algorithm, stream: Transform): void {
  const z = stream as zlib.Gzip;
  if (coding === 'gzip') z.flush(zlib.constants.Z_SYNC_FLUSH);
  else z.flush();
}

/** Compresses a whole buffer on the event loop: only for small fixed bodies, once (respond routes). */
export function compressSync(coding: Algorithm, level: number, body: Buffer): Buffer {
  switch (coding) {
    case 'br':
      return zlib.brotliCompressSync(body, { params: brotliParams(level, body.length) });
    case 'gzip':
      return zlib.gzipSync(body, { level });
    case 'zstd':
      return zstdCompressSync(body, level);
  }
}

/** Compresses a whole buffer on the thread pool (a stored response, compressed once). */
export function compressBuffer(coding: Algorithm, level: number, body: Buffer, cb: (err: Error | null, out: Buffer) => void): void {
  switch (coding) {
    case 'br':
      return zlib.brotliCompress(body, { params: brotliParams(level, body.length) }, cb);
    case 'gzip':
      return zlib.gzip(body, { level }, cb);
    case 'zstd':
      return zstdCompress(body, level, cb);
  }
}
