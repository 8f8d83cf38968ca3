/**
 * The checks on a parsed request head that llhttp leaves to the application, and the body
 * framing that follows from the head (RFC 9112 §6.3).
 *
 * llhttp (strict, no lenient flag) already refuses what makes framing ambiguous at the byte
 * level: Content-Length with Transfer-Encoding, repeated Content-Length, a final coding other
 * than chunked, bare CR or LF, obs-fold, invalid field names and values. It accepts the
 * following, which Barbican refuses here:
 *
 * - a major version other than 1: llhttp parses `HTTP/2.0` and a version-less (HTTP/0.9)
 *   request line;
 * - Transfer-Encoding on an HTTP/1.0 request, which llhttp frames as chunked although
 *   RFC 9112 §6.1 says the framing must then be treated as faulty and the connection closed;
 * - a Transfer-Encoding list with an empty member or a member that is not a token
 *   (`,chunked`, `gzip,,chunked`, `x y, chunked`): llhttp only checks the final member, and
 *   another parser in front of Barbican could read such a list differently (RFC 9110 §5.6.1);
 * - a final transfer coding other than chunked (`identity`, `xchunked`): llhttp refuses it
 *   too, but only after the head has been handed over, so it is decided here, before the
 *   pipeline could answer 501 where RFC 9112 §6.3 asks for 400;
 * - a Content-Length above 2^53 − 1 (llhttp accepts up to 2^64 − 1): a JavaScript number
 *   cannot hold it exactly, and RFC 9110 §8.6 asks recipients to guard against precision loss;
 * - an Expect other than `100-continue` (RFC 9110 §10.1.1: 417). Obfuscated expectations
 *   (`y 100-continue`) are how the 2025 Expect-based desync attacks reach an origin.
 *
 * A refusal here is answered without reading the body, and the connection is then closed.
 */
import { ProxyError } from '../errors/index.js';

/** The framing of a chunked body, as opposed to a Content-Length (≥ 0). */
export const CHUNKED = -1;

/** RFC 9110 §5.6.2 token, then optional transfer-parameters (RFC 9112 §7). */
const CODING =
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))*$/;

/**
 * Returns the body framing of a request head (the Content-Length, CHUNKED, or 0 for no body),
 * or the ProxyError that refuses it. `headers` is llhttp's flat [name, value, …] list, values
 * already stripped of surrounding whitespace. One pass; allocates nothing for a valid head.
 */
export function checkRequestHead(versionMajor: number, versionMinor: number, headers: readonly string[]): number | ProxyError {
  if (versionMajor !== 1) return new ProxyError('REQUEST_MALFORMED', `HTTP/${versionMajor}.${versionMinor} is not supported`);
  let framing = 0;
  let transferEncoding: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    // Dispatch on the length first: most names are none of these, and are never lower-cased.
    switch (name.length) {
      case 6:
        if (name.toLowerCase() === 'expect' && !isContinueExpectation(headers[i + 1]!)) {
          return new ProxyError('REQUEST_EXPECTATION_FAILED', 'Expect other than 100-continue');
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          // llhttp has checked 1*DIGIT and that there is only one; leading zeros are valid.
          const length = Number(headers[i + 1]);
          if (!Number.isSafeInteger(length)) return new ProxyError('REQUEST_BODY_TOO_LARGE', 'Content-Length above 2^53 - 1');
          framing = length;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          if (versionMinor === 0) return new ProxyError('REQUEST_MALFORMED', 'Transfer-Encoding in an HTTP/1.0 request');
          transferEncoding = headers[i + 1]!;
          if (!isCodingList(transferEncoding)) return new ProxyError('REQUEST_MALFORMED', 'invalid Transfer-Encoding list');
          framing = CHUNKED;
        }
        break;
    }
  }
  // RFC 9112 §6.3 rule 4: chunked must be the final coding (of the last field line).
  if (transferEncoding !== undefined && !endsWithChunked(transferEncoding)) {
    return new ProxyError('REQUEST_MALFORMED', 'final transfer coding is not chunked');
  }
  return framing;
}

/** RFC 9110 §10.1.1: 100-continue is the only expectation defined; it has no parameters. */
function isContinueExpectation(value: string): boolean {
  return value.length === 12 && value.toLowerCase() === '100-continue';
}

/** Whether the last member of a valid coding list is `chunked`. */
function endsWithChunked(list: string): boolean {
  const last = list.length === 7 ? list : list.slice(list.lastIndexOf(',') + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  return last.length === 7 && last.toLowerCase() === 'chunked';
}

/**
 * Whether a Transfer-Encoding field line is a list of transfer codings with no empty member.
 * Which codings are understood is the pipeline's decision (501); this is only the syntax.
 */
function isCodingList(value: string): boolean {
  if (value.length === 7 && value.toLowerCase() === 'chunked') return true;
  if (value === '') return false;
  // Rare: several codings, or something odd. Each member, OWS trimmed, must be a coding.
  for (const member of value.split(',')) {
    if (!CODING.test(member.replace(/^[ \t]+|[ \t]+$/g, ''))) return false;
  }
  return true;
}
