/**
 * Schema for `routes[].compression`: compressing responses for clients that accept it
 * (RFC 9110 §8.4 content codings, §12.5.3 Accept-Encoding). Composed by routing/config.ts.
 */
import { z } from 'zod';
import { size } from '../config/units.js';
import { alreadyCompressedReason, DEFAULT_TYPES, isMediaTypePattern } from './media-types.js';
import { ZSTD_AVAILABLE } from './zstd.js';

/** The content codings Barbican produces (RFC 9110 §8.4.1; RFC 7932 br; RFC 8878 zstd). */
export const ALGORITHMS = ['br', 'gzip', 'zstd'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

const algorithm = z
  .enum(ALGORITHMS)
  .refine((a) => a !== 'zstd' || ZSTD_AVAILABLE, 'zstd needs a Node.js whose zlib has createZstdCompress (22.15 or later); remove it or upgrade Node.js');

const mediaType = z
  .string()
  .refine(isMediaTypePattern, 'expected a media type: type/subtype, type/* or type/*+suffix')
  .superRefine((p, ctx) => {
    const reason = alreadyCompressedReason(p);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  });

export const levelSchema = z.strictObject({
  br: z.number().int().min(0).max(11).default(4).describe('Brotli quality (0–11). 4 compresses HTML about as well as gzip 9 at a fraction of its cost; 10–11 are for build-time compression, not per response.'),
  gzip: z.number().int().min(1).max(9).default(5).describe('gzip (deflate) level (1–9).'),
  zstd: z.number().int().min(1).max(19).default(3).describe('zstd level (1–19); used only on a Node.js that has zstd.'),
});

export const routeCompressionSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Compress responses of this route (false keeps the block but turns it off).'),
    algorithms: z
      .array(algorithm)
      .min(1)
      .refine((list) => new Set(list).size === list.length, 'list each algorithm once')
      .default(['br', 'gzip'])
      .describe('Content codings offered, in order of preference: among those the client accepts with the same weight (q), the first listed wins. zstd only on a Node.js whose zlib has it (22.15 or later): on another, listing it is an error.'),
    minBytes: size().default(1024).describe('Responses whose Content-Length is smaller are sent as they are (a response of unknown length is compressed).'),
    types: z
      .array(mediaType)
      .min(1)
      .default([...DEFAULT_TYPES])
      .describe('Media types compressed: type/subtype, type/* or type/*+suffix (application/*+json), matched against Content-Type without parameters. Already-compressed formats (image/png, video/*, application/zip…) are refused. text/event-stream is not in the default list; when listed, event streams are compressed with a flush after every read from the origin.'),
    level: levelSchema.prefault({}).describe('Compression level per algorithm; the defaults suit on-the-fly compression.'),
  })
  .describe('Compress responses (gzip, br, zstd) for clients that accept it, when the origin did not (RFC 9110 §8.4, §12.5.3). Adds Vary: Accept-Encoding; never compresses ranges, no-transform responses or types not listed.');

export type RouteCompressionConfig = z.output<typeof routeCompressionSchema>;
