/** Request ids: a valid incoming X-Request-Id is kept, otherwise a new one is made. */
import { randomBytes } from 'node:crypto';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;
/** 12 hex digits, random per process: ids stay unique across restarts and workers. */
const prefix = randomBytes(6).toString('hex');
let counter = 0;

/**
 * New ids are made 512 at a time, one after another in one string: the prefix and the
 * counter's 8 hex digits each, so a request's id is one slice of it (no number-to-text
 * conversion, padding and concatenation per request), as trace-context.ts does for traceparents.
 */
const BATCH = 512;
const ID_LENGTH = prefix.length + 8;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const batchText = Buffer.alloc(ID_LENGTH * BATCH);
for (let i = 0; i < BATCH; i++) batchText.write(prefix, i * ID_LENGTH, 'latin1');
let batch = '';
let nextNew = BATCH;

function refillIds(): void {
  for (let i = 0; i < BATCH; i++) {
    counter = (counter + 1) % 0x100000000;
    let n = counter;
    const end = (i + 1) * ID_LENGTH;
    for (let at = end - 1; at >= end - 8; at--) {
      batchText[at] = HEX_DIGITS[n & 15]!;
      n >>>= 4;
    }
  }
  batch = batchText.toString('latin1');
  nextNew = 0;
}

/** A new id: unique per process (random prefix) and cheap (a counter). */
function newRequestId(): string {
  if (nextNew === BATCH) refillIds();
  const at = nextNew++ * ID_LENGTH;
  return batch.slice(at, at + ID_LENGTH);
}

export function requestIdFrom(incoming: string | undefined): string {
  return incoming !== undefined && VALID.test(incoming) ? incoming : newRequestId();
}
