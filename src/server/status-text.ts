import { STATUS_CODES } from 'node:http';

/** Reason phrase for a status code (RFC 9110 §15); the phrase carries no meaning. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}
