/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the proxy hop is a span of its own,
 * so the `traceparent` sent upstream keeps the trace id and flags of the incoming one (§3.2)
 * with a new parent-id; an absent or invalid incoming header starts a new trace. `tracestate`
 * is passed through unchanged (it is copied with the other headers).
 *
 * Ids come from blocks of random bytes, so a request costs no crypto call: a new trace's whole
 * `traceparent` is one slice of a string of 512 of them made at once (no hex conversion and no
 * concatenation per request); a continued trace's new parent-id is one hex slice of a pool.
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

/** New traces made per refill, and the length of each: "00-" 32 hex "-" 16 hex "-00". */
const BATCH = 512;
const TRACEPARENT_LENGTH = 55;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const batchRandom = Buffer.allocUnsafe(24 * BATCH);
const batchText = Buffer.allocUnsafe(TRACEPARENT_LENGTH * BATCH);
/** BATCH new traceparents, one after another; `nextNew` is the index of the next unused one. */
let batch = '';
let nextNew = BATCH;

/** Whether `bytes` random bytes from `at` are all zero (an invalid id, §3.2.2.3–4). */
function allZero(at: number, bytes: number): boolean {
  for (let i = at; i < at + bytes; i++) if (batchRandom[i] !== 0) return false;
  return true;
}

function refillNewTraces(): void {
  randomFillSync(batchRandom);
  const out = batchText;
  for (let i = 0; i < BATCH; i++) {
    const from = i * 24;
    // Odds of 2^-128 and 2^-64, but an all-zero id is never sent.
    while (allZero(from, 16)) randomFillSync(batchRandom, from, 16);
    while (allZero(from + 16, 8)) randomFillSync(batchRandom, from + 16, 8);
    let o = i * TRACEPARENT_LENGTH;
    out[o++] = 0x30; // "00-"
    out[o++] = 0x30;
    out[o++] = 0x2d;
    for (let j = 0; j < 24; j++) {
      if (j === 16) out[o++] = 0x2d;
      const b = batchRandom[from + j]!;
      out[o++] = HEX_DIGITS[b >> 4]!;
      out[o++] = HEX_DIGITS[b & 15]!;
    }
    out[o++] = 0x2d; // "-00": sampled flag off
    out[o++] = 0x30;
    out[o] = 0x30;
  }
  batch = out.toString('latin1');
  nextNew = 0;
}

/** A new trace (sampled flag off): trace-id and parent-id both new. */
function newTraceparent(): string {
  if (nextNew === BATCH) refillNewTraces();
  const at = nextNew++ * TRACEPARENT_LENGTH;
  return batch.slice(at, at + TRACEPARENT_LENGTH);
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
  return newTraceparent();
}
