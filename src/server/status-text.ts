import { STATUS_CODES } from 'node:http';

/** Reason phrase for a status code (RFC 9110 §15); the phrase carries no meaning. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

/** Status lines with the standard phrase, made once per status code (three digits, RFC 9112 §4). */
const standardLines: (string | undefined)[] = new Array<string | undefined>(1000);

/** The status line (RFC 9112 §4) with `reason`, or the standard phrase when none is given. */
export function statusLine(status: number, reason?: string): string {
  const standard = statusText(status);
  if (reason !== undefined && reason !== standard) return 'HTTP/1.1 ' + status + ' ' + reason + '\r\n';
  let line = standardLines[status];
  if (line === undefined) {
    line = 'HTTP/1.1 ' + status + ' ' + standard + '\r\n';
    if (status >= 0 && status < 1000) standardLines[status] = line;
  }
  return line;
}
