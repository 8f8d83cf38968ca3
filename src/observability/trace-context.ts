/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the proxy hop is a span of its own,
 * so the `traceparent` sent upstream keeps the trace id and flags of the incoming one (§3.2)
 * with a new parent-id; an absent or invalid incoming header starts a new trace. `tracestate`
 * is passed through unchanged (it is copied with the other headers).
 *
 * Ids come from a block of random bytes refilled once per 512 new traces, so a request costs one
 * hex slice rather than a crypto call.
 */
import { randomFillSync } from 'node:crypto';

/** version "00" - 32 hex trace-id - 16 hex parent-id - 2 hex flags (§3.2.2). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

const pool = Buffer.allocUnsafe(24 * 512);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** A new span id (16 hex digits, never all zeros). */
export function newSpanId(): string {
  const id = randomHex(8);
  return id === ZERO_SPAN ? newSpanId() : id;
}

/**
 * The `traceparent` to send upstream for an incoming one (or undefined): same trace and flags,
 * new parent-id; a new trace (sampled flag off) when the incoming one is missing or invalid.
 */
export function nextTraceparent(incoming: string | undefined): string {
  if (incoming !== undefined) {
    const m = TRACEPARENT.exec(incoming.trim());
    // §3.2.2.1: version ff is invalid; version 00 has exactly four fields; ids must not be all zeros.
    if (m !== null && m[1] !== 'ff' && !(m[1] === '00' && m[5] !== undefined) && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN) {
      return `00-${m[2]}-${newSpanId()}-${m[4]}`;
    }
  }
  // A new trace: trace-id and parent-id from one slice of the pool (one native call, not three).
  const ids = randomHex(24);
  const trace = ids.slice(0, 32);
  const span = ids.slice(32);
  if (trace === ZERO_TRACE || span === ZERO_SPAN) return nextTraceparent(undefined);
  return `00-${trace}-${span}-00`;
}
