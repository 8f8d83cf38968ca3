/** Request ids: a valid incoming X-Request-Id is kept, otherwise a new one is made. */
import { randomBytes } from 'node:crypto';

const VALID = /^[A-Za-z0-9._:-]{1,128}$/;
const prefix = randomBytes(6).toString('hex');
let counter = 0;

/** A new id: unique per process (random prefix) and cheap (a counter). */
function newRequestId(): string {
  counter = (counter + 1) % 0x100000000;
  return `${prefix}${counter.toString(16).padStart(8, '0')}`;
}

export function requestIdFrom(incoming: string | undefined): string {
  return incoming !== undefined && VALID.test(incoming) ? incoming : newRequestId();
}
