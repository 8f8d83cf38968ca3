/** Response compression (RFC 9110 §8.4 content codings, §12.5.3 Accept-Encoding): public API. */
export { ALGORITHMS, routeCompressionSchema, type Algorithm, type RouteCompressionConfig } from './config.js';
export { negotiateEncoding, parseAcceptEncoding } from './accept-encoding.js';
export { addVaryAcceptEncoding, toEncodedHead, toEncodedTrailers, weakETag } from './header-edits.js';
export { DEFAULT_TYPES, MediaTypeMatcher } from './media-types.js';
export { RouteCompression, type Compressibility, type CompressionRequest } from './policy.js';
export { compressBuffer, compressSync, createCompressor } from './compressors.js';
export { StreamEncoder, type EncodedOutput, type EncoderOwner } from './stream-encoder.js';
export { ZSTD_AVAILABLE } from './zstd.js';
