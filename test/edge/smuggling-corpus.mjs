// Malformed and ambiguous requests, and the valid look-alikes that must still pass, as data.
// smuggling.test.mjs sends each one (followed by a pipelined probe request) to the real proxy
// in front of a raw origin that records every byte, and checks both sides.
//
// Fields:
//   name    what the entry is
//   class   the kind of desync or malformation it belongs to (see CLASSES)
//   raw     the bytes sent, as a latin1 string
//   status  the status of the answer, or the statuses of the answers in order
//   code    the error code expected in the error body (optional)
//   close   the proxy must close the connection after answering (then the probe is never served)
//   origin  'nothing'              not one byte reaches the origin
//           'no-complete-request'  the body's framing broke while it was streaming: the origin
//                                  may have seen the start, never a complete request
//           [{ method, target, host?, body?, framing?, headers? }]  the requests the origin receives,
//                                  in order, each re-framed (the probe, if served, comes after)
//   by      which layer refuses it: 'llhttp' (the parser), 'guard' (server/request-guard.ts
//           or the pipeline guard), 'limit' (a configured limit); absent when forwarded
//   forbid  a pattern that must not appear in what the client receives (optional)
//
// The proxy under test has maxHeaderBytes 2 KiB and maxBodyBytes 1 KiB.

export const CLASSES = [
  'content-length',
  'transfer-encoding',
  'chunked-body',
  'line-endings',
  'control-characters',
  'header-syntax',
  'request-line',
  'request-target',
  'host',
  'upgrade-connect',
  'expect',
  'http-1.0',
  'pipelining',
  'size-limits',
];

const H = 'Host: edge.test\r\n';
const POST = (headers, body = '') => `POST /e HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const GET = (headers = '', target = '/e') => `GET ${target} HTTP/1.1\r\n${H}${headers}\r\n`;
const CHUNKED = 'Transfer-Encoding: chunked\r\n';
/** A request that a smuggler would like the origin to see as a request of its own. */
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: edge.test\r\n\r\n';

const refused = (status, code, by, extra = {}) => ({ status, code, close: true, origin: 'nothing', by, ...extra });
const forwarded = (requests, extra = {}) => ({ status: 200, close: false, origin: requests, ...extra });

export const CORPUS = [
  // --- Content-Length (RFC 9112 §6.3, RFC 9110 §8.6) ---
  { name: 'two Content-Length lines, same value', class: 'content-length', raw: POST('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'two Content-Length lines, different values', class: 'content-length', raw: POST('Content-Length: 5\r\nContent-Length: 40\r\n', `hello${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'two Content-Length lines, differing in name case', class: 'content-length', raw: POST('Content-Length: 5\r\ncontent-LENGTH: 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length list "5, 5"', class: 'content-length', raw: POST('Content-Length: 5, 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length with a plus sign', class: 'content-length', raw: POST('Content-Length: +5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'negative Content-Length', class: 'content-length', raw: POST('Content-Length: -5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'hexadecimal Content-Length', class: 'content-length', raw: POST('Content-Length: 0x5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length "5 5"', class: 'content-length', raw: POST('Content-Length: 5 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length with tabs around', class: 'content-length', raw: POST('Content-Length:\t5\t\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length in exponent form', class: 'content-length', raw: POST('Content-Length: 1e3\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'empty Content-Length', class: 'content-length', raw: POST('Content-Length: \r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length over 2^64 - 1', class: 'content-length', raw: POST('Content-Length: 18446744073709551616\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Content-Length 2^64 - 1 (llhttp accepts it)', class: 'content-length', raw: POST('Content-Length: 18446744073709551615\r\n', 'hello'), ...refused(413, 'REQUEST_BODY_TOO_LARGE', 'guard') },
  { name: 'Content-Length 2^53 + 1 (a JS number rounds it)', class: 'content-length', raw: POST('Content-Length: 9007199254740993\r\n', 'hello'), ...refused(413, 'REQUEST_BODY_TOO_LARGE', 'guard') },
  { name: 'Content-Length with leading zeros is 1*DIGIT: re-framed as 5', class: 'content-length', raw: POST('Content-Length: 005\r\n', 'hello'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }]) },
  { name: 'Content-Length with spaces around (OWS) is re-framed', class: 'content-length', raw: POST('Content-Length:   5  \r\n', 'hello'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }]) },
  { name: 'Content-Length and Transfer-Encoding', class: 'content-length', raw: POST(`Content-Length: 5\r\n${CHUNKED}`, `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding and then Content-Length', class: 'content-length', raw: POST(`${CHUNKED}Content-Length: 5\r\n`, `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding gzip and Content-Length', class: 'content-length', raw: POST('Transfer-Encoding: gzip\r\nContent-Length: 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },

  // --- Transfer-Encoding (RFC 9112 §6.1, §7) ---
  { name: 'Transfer-Encoding "chunked, chunked"', class: 'transfer-encoding', raw: POST('Transfer-Encoding: chunked, chunked\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding chunked on two lines', class: 'transfer-encoding', raw: POST(`${CHUNKED}${CHUNKED}`, '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding "xchunked"', class: 'transfer-encoding', raw: POST('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding "chunked" + HTAB', class: 'transfer-encoding', raw: POST('Transfer-Encoding: chunked\t\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding with VT before the value', class: 'transfer-encoding', raw: POST('Transfer-Encoding:\x0bchunked\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding "identity"', class: 'transfer-encoding', raw: POST('Transfer-Encoding: identity\r\n', SMUGGLED), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding "chunked;q=1"', class: 'transfer-encoding', raw: POST('Transfer-Encoding: chunked;q=1\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding with a quoted value', class: 'transfer-encoding', raw: POST('Transfer-Encoding: "chunked"\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding ",chunked" (empty member)', class: 'transfer-encoding', raw: POST('Transfer-Encoding: ,chunked\r\n', `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'Transfer-Encoding "gzip,,chunked" (empty member)', class: 'transfer-encoding', raw: POST('Transfer-Encoding: gzip,,chunked\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'Transfer-Encoding "x y, chunked" (member not a token)', class: 'transfer-encoding', raw: POST('Transfer-Encoding: x y, chunked\r\n', '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'Transfer-Encoding chunked plus an empty Transfer-Encoding line', class: 'transfer-encoding', raw: POST(`${CHUNKED}Transfer-Encoding: \r\n`, '0\r\n\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  // llhttp frames this as having no body, so what follows the head would be read as the next request.
  { name: 'empty Transfer-Encoding (llhttp frames it as no body)', class: 'transfer-encoding', raw: POST('Transfer-Encoding: \r\n', SMUGGLED), ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'Transfer-Encoding "gzip, chunked" → 501', class: 'transfer-encoding', raw: POST('Transfer-Encoding: gzip, chunked\r\n', '0\r\n\r\n'), ...refused(501, 'REQUEST_TRANSFER_CODING_UNSUPPORTED', 'guard') },
  { name: 'Transfer-Encoding gzip then chunked on two lines → 501', class: 'transfer-encoding', raw: POST(`Transfer-Encoding: gzip\r\n${CHUNKED}`, '0\r\n\r\n'), ...refused(501, 'REQUEST_TRANSFER_CODING_UNSUPPORTED', 'guard') },
  { name: 'Transfer-Encoding "gzip;level=1, chunked" → 501', class: 'transfer-encoding', raw: POST('Transfer-Encoding: gzip;level=1, chunked\r\n', '0\r\n\r\n'), ...refused(501, 'REQUEST_TRANSFER_CODING_UNSUPPORTED', 'guard') },
  { name: 'Transfer-Encoding in an obs-fold continuation line', class: 'transfer-encoding', raw: POST('Transfer-Encoding:\r\n chunked\r\n', `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding with a space before the colon', class: 'transfer-encoding', raw: POST('Transfer-Encoding : chunked\r\n', `0\r\n\r\n${SMUGGLED}`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'Transfer-Encoding "Chunked": coding names are case-insensitive (RFC 9112 §7)', class: 'transfer-encoding', raw: POST('Transfer-Encoding: Chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'chunked' }]) },
  { name: 'Transfer-Encoding " chunked" (leading OWS) is re-chunked', class: 'transfer-encoding', raw: POST('Transfer-Encoding:   chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'chunked' }]) },

  // --- chunked body (RFC 9112 §7.1) ---
  { name: 'chunk size overflowing 64 bits', class: 'chunked-body', raw: POST(CHUNKED, `1FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'negative chunk size', class: 'chunked-body', raw: POST(CHUNKED, `-5\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk size "0x5"', class: 'chunked-body', raw: POST(CHUNKED, `0x5\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk size with a space before CRLF', class: 'chunked-body', raw: POST(CHUNKED, `5 \r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'empty chunk size line', class: 'chunked-body', raw: POST(CHUNKED, `\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk data longer than its size (no CRLF after the data)', class: 'chunked-body', raw: POST(CHUNKED, `3\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'bare LF after the chunk size', class: 'chunked-body', raw: POST(CHUNKED, `5\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'bare LF after the chunk data', class: 'chunked-body', raw: POST(CHUNKED, `5\r\nhello\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'bare LF ending the last chunk', class: 'chunked-body', raw: POST(CHUNKED, `5\r\nhello\r\n0\n\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk extension with a NUL', class: 'chunked-body', raw: POST(CHUNKED, `5;a\x00b\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk extension ended by a bare LF', class: 'chunked-body', raw: POST(CHUNKED, `5;a\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk extension with a bare CR', class: 'chunked-body', raw: POST(CHUNKED, `5;a\rb\r\nhello\r\n0\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'invalid trailer field name', class: 'chunked-body', raw: POST(CHUNKED, `5\r\nhello\r\n0\r\nX Bad: 1\r\n\r\n`), status: 400, code: 'REQUEST_MALFORMED', close: true, origin: 'no-complete-request', by: 'llhttp' },
  { name: 'chunk size 2^64 - 1: streamed until maxBodyBytes, then cut', class: 'chunked-body', raw: POST(CHUNKED, `ffffffffffffffff\r\n${'x'.repeat(1500)}`), status: 413, code: 'REQUEST_BODY_TOO_LARGE', close: true, origin: 'no-complete-request', by: 'limit' },
  { name: 'chunk extensions are dropped by re-chunking', class: 'chunked-body', raw: POST(CHUNKED, `5;name=value;q="a b"\r\nhello\r\n0\r\n\r\n`), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'chunked' }]) },
  { name: 'trailer fields are not forwarded (a Host trailer cannot override)', class: 'chunked-body', raw: POST(CHUNKED, `5\r\nhello\r\n0\r\nHost: evil.test\r\n\r\n`), ...forwarded([{ method: 'POST', target: '/e', host: 'edge.test', body: 'hello', framing: 'chunked' }]) },

  // --- line endings (RFC 9112 §2.2) ---
  { name: 'bare CR inside a header value', class: 'line-endings', raw: GET('X-A: b\rc\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'bare CR ending a header line', class: 'line-endings', raw: GET(`X-A: b\rContent-Length: 40\r\n`), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'bare LF ending a header line', class: 'line-endings', raw: GET('X-A: b\nContent-Length: 40\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'bare LF ending the request line', class: 'line-endings', raw: `GET /e HTTP/1.1\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'bare LF ending the head', class: 'line-endings', raw: `GET /e HTTP/1.1\r\n${H}\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'CR CR LF ending the request line', class: 'line-endings', raw: `GET /e HTTP/1.1\r\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'an empty line before the request line is ignored (RFC 9112 §2.2)', class: 'line-endings', raw: `\r\nGET /e HTTP/1.1\r\n${H}\r\n`, ...forwarded([{ method: 'GET', target: '/e', framing: 'none' }]) },

  // --- NUL and control characters ---
  { name: 'NUL in a header name', class: 'control-characters', raw: GET('X-\x00A: b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'NUL in a header value', class: 'control-characters', raw: GET('X-A: b\x00c\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'SOH in a header value', class: 'control-characters', raw: GET('X-A: b\x01c\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'DEL in a header value', class: 'control-characters', raw: GET('X-A: b\x7fc\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'VT in a header name', class: 'control-characters', raw: GET('X\x0bA: b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'control character in the request target', class: 'control-characters', raw: GET('', '/e\x01x'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'HTAB inside a header value is allowed (RFC 9110 §5.5)', class: 'control-characters', raw: GET('X-A: b\tc\r\n'), ...forwarded([{ method: 'GET', target: '/e', framing: 'none', headers: { 'x-a': 'b\tc' } }]) },
  { name: 'obs-text in a header value passes byte for byte (RFC 9110 §5.5)', class: 'control-characters', raw: GET('X-A: caf\xe9 \xff\r\n'), ...forwarded([{ method: 'GET', target: '/e', framing: 'none', headers: { 'x-a': 'caf\xe9 \xff' } }]) },

  // --- header syntax (RFC 9110 §5.1, RFC 9112 §5) ---
  { name: 'header name with a space', class: 'header-syntax', raw: GET('X Bad: b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'empty header name', class: 'header-syntax', raw: GET(': b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'header line without a colon', class: 'header-syntax', raw: GET('X-A\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'header name with a non-token character', class: 'header-syntax', raw: GET('X@A: b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'header name in UTF-8', class: 'header-syntax', raw: GET('X\xc3\xa9: b\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'whitespace before the first header line', class: 'header-syntax', raw: `GET /e HTTP/1.1\r\n ${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'obs-fold continuation line', class: 'header-syntax', raw: GET('X-A: b\r\n c\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'HTAB between a header name and the colon', class: 'header-syntax', raw: GET('Content-Length\t: 5\r\n'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },

  // --- request line (RFC 9112 §3, §2.3) ---
  { name: 'request line without a version (HTTP/0.9)', class: 'request-line', raw: `GET /e\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'HTTP/0.9 version', class: 'request-line', raw: `GET /e HTTP/0.9\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'HTTP/1.2 version', class: 'request-line', raw: `GET /e HTTP/1.2\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'HTTP/2.0 version in an HTTP/1 request line', class: 'request-line', raw: `GET /e HTTP/2.0\r\n${H}\r\n${SMUGGLED}`, ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'HTTP/2 connection preface on an HTTP/1 listener', class: 'request-line', raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'lower-case "http/1.1"', class: 'request-line', raw: `GET /e http/1.1\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'version with two minor digits', class: 'request-line', raw: `GET /e HTTP/1.10\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'HTAB as the separator', class: 'request-line', raw: `GET\t/e HTTP/1.1\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'space after the version', class: 'request-line', raw: `GET /e HTTP/1.1 \r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'space inside the target', class: 'request-line', raw: `GET /e x HTTP/1.1\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'lower-case method: a valid token, but outside llhttp\'s method table', class: 'request-line', raw: `get /e HTTP/1.1\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'unknown method', class: 'request-line', raw: `FOO /e HTTP/1.1\r\n${H}\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'extension method with a hyphen (M-SEARCH) is forwarded', class: 'request-line', raw: `M-SEARCH /e HTTP/1.1\r\n${H}\r\n`, ...forwarded([{ method: 'M-SEARCH', target: '/e', framing: 'none' }]) },
  { name: 'two spaces before the target: re-serialized with one (RFC 9112 §3 allows parsing on whitespace)', class: 'request-line', raw: `GET  /e HTTP/1.1\r\n${H}\r\n`, ...forwarded([{ method: 'GET', target: '/e', framing: 'none' }]) },
  { name: 'two spaces after the target: re-serialized with one', class: 'request-line', raw: `GET /e  HTTP/1.1\r\n${H}\r\n`, ...forwarded([{ method: 'GET', target: '/e', framing: 'none' }]) },

  // --- request target (RFC 9112 §3.2, RFC 3986) ---
  { name: 'fragment in the target', class: 'request-target', raw: GET('', '/e#frag'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'fragment in the query', class: 'request-target', raw: GET('', '/e?a=1#frag'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'asterisk-form on GET', class: 'request-target', raw: GET('', '*'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'authority-form on GET', class: 'request-target', raw: GET('', 'edge.test:80'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'relative target without a leading slash', class: 'request-target', raw: GET('', 'e/x'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },
  { name: 'absolute-form with a ws: scheme', class: 'request-target', raw: GET('', 'ws://edge.test/e'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'absolute-form with userinfo', class: 'request-target', raw: GET('', 'http://user@edge.test/e'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'absolute-form with an empty authority', class: 'request-target', raw: GET('', 'http:///e'), ...refused(400, 'REQUEST_TARGET_INVALID', 'guard') },
  { name: 'backslash in the path', class: 'request-target', raw: GET('', '/public\\..\\admin'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'invalid percent-encoding in the path', class: 'request-target', raw: GET('', '/e%zz'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'IIS-style %u encoding', class: 'request-target', raw: GET('', '/%u0061dmin'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'encoded NUL in the path', class: 'request-target', raw: GET('', '/e%00.html'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'encoded CR LF in the path', class: 'request-target', raw: GET('', '/e%0d%0aX-Injected:%201'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'path climbing above the root', class: 'request-target', raw: GET('', '/../etc/passwd'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'encoded dot-segments climbing above the root', class: 'request-target', raw: GET('', '/%2e%2e/%2e%2e/etc/passwd'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'dot-segment with path parameters (Tomcat "..;/")', class: 'request-target', raw: GET('', '/public/..;/admin'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'dot-segment behind an encoded slash', class: 'request-target', raw: GET('', '/public/..%2Fadmin'), ...refused(400, 'REQUEST_PATH_INVALID', 'guard') },
  { name: 'dot-segments and repeated slashes are forwarded in canonical form', class: 'request-target', raw: GET('', '//a/./b/../%63?q=%2e%2e/x'), ...forwarded([{ method: 'GET', target: '/a/c?q=%2e%2e/x', framing: 'none' }]) },

  // --- Host (RFC 9112 §3.2, §3.2.2) ---
  { name: 'missing Host on HTTP/1.1', class: 'host', raw: 'GET /e HTTP/1.1\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'two Host lines, same value', class: 'host', raw: GET(H), ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'two Host lines, different values', class: 'host', raw: GET('Host: evil.test\r\n'), ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'empty Host', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost:\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with userinfo', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: user@edge.test\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with a space', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: edge .test\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with a comma', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: edge.test,evil.test\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with a path', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: edge.test/x\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with a percent-encoding', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: %65dge.test\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'Host with two ports', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: edge.test:80:81\r\n\r\n', ...refused(400, 'REQUEST_HOST_INVALID', 'guard') },
  { name: 'absolute-form authority wins over Host (RFC 9112 §3.2.2)', class: 'host', raw: 'GET http://authority.test/abs?x=1 HTTP/1.1\r\nHost: other.test\r\n\r\n', ...forwarded([{ method: 'GET', target: '/abs?x=1', host: 'authority.test', framing: 'none', headers: { 'x-forwarded-host': 'authority.test' } }]) },
  { name: 'Host with a port and upper case is kept as sent', class: 'host', raw: 'GET /e HTTP/1.1\r\nHost: Edge.TEST:8080\r\n\r\n', ...forwarded([{ method: 'GET', target: '/e', host: 'Edge.TEST:8080', framing: 'none' }]) },

  // --- Upgrade and CONNECT (RFC 9110 §7.8, §9.3.6) ---
  // A WebSocket handshake reaches the origin only when it is valid (RFC 6455 §4.1); when the
  // origin does not answer 101, its answer is relayed and the connection closes: the bytes behind
  // the handshake (here the probe) were never HTTP to Barbican and never reach the origin.
  { name: 'valid WebSocket handshake, origin answers 200: relayed, closed, nothing behind it forwarded', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'), status: 200, close: true, origin: [{ method: 'GET', target: '/e', framing: 'none', headers: { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } }] },
  { name: 'WebSocket handshake with POST → 400', class: 'upgrade-connect', raw: `POST /e HTTP/1.1\r\n${H}Content-Length: 0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard', { forbid: /101 Switching/ }) },
  { name: 'WebSocket handshake over HTTP/1.0 → 400', class: 'upgrade-connect', raw: `GET /e HTTP/1.0\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard', { forbid: /101 Switching/ }) },
  { name: 'WebSocket handshake without Sec-WebSocket-Key → 400', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'), ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'WebSocket handshake with two Sec-WebSocket-Key → 400', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'), ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'WebSocket handshake with a key that is not 16 bytes → 400', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n'), ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'WebSocket handshake without Sec-WebSocket-Version → 400', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'), ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'WebSocket handshake with a body (smuggled request inside) → 400', class: 'upgrade-connect', raw: GET(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: ${SMUGGLED.length}\r\n`) + SMUGGLED, ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'WebSocket handshake with Transfer-Encoding → 400', class: 'upgrade-connect', raw: GET(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${CHUNKED}`) + `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`, ...refused(400, 'WEBSOCKET_HANDSHAKE_INVALID', 'guard') },
  { name: 'Upgrade: h2c with Connection: keep-alive, Upgrade → 501', class: 'upgrade-connect', raw: GET('Upgrade: h2c\r\nConnection: keep-alive, Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n'), ...refused(501, 'REQUEST_UPGRADE_UNSUPPORTED', 'guard', { forbid: /101 Switching/ }) },
  { name: 'Upgrade without the upgrade connection option is no upgrade: forwarded without it', class: 'upgrade-connect', raw: GET('Upgrade: websocket\r\n'), ...forwarded([{ method: 'GET', target: '/e', framing: 'none' }]) },
  { name: 'CONNECT → 405', class: 'upgrade-connect', raw: 'CONNECT edge.test:443 HTTP/1.1\r\nHost: edge.test:443\r\n\r\n', ...refused(405, 'REQUEST_METHOD_NOT_ALLOWED', 'guard', { forbid: /^HTTP\/1\.1 200/ }) },
  { name: 'CONNECT with an origin-form target → 405', class: 'upgrade-connect', raw: `CONNECT /e HTTP/1.1\r\n${H}\r\n`, ...refused(405, 'REQUEST_METHOD_NOT_ALLOWED', 'guard') },

  // --- Expect (RFC 9110 §10.1.1) ---
  { name: 'Expect: 100-continue is answered by Barbican and not forwarded', class: 'expect', raw: POST('Expect: 100-continue\r\nContent-Length: 5\r\n', 'hello'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }]) },
  { name: 'Expect: 100-Continue (any case) is the same expectation', class: 'expect', raw: POST('Expect: 100-Continue\r\nContent-Length: 5\r\n', 'hello'), ...forwarded([{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }]) },
  { name: 'Expect "y 100-continue" (obfuscated) → 417', class: 'expect', raw: POST('Expect: y 100-continue\r\nContent-Length: 5\r\n', 'hello'), ...refused(417, 'REQUEST_EXPECTATION_FAILED', 'guard', { forbid: /100 Continue/ }) },
  { name: 'Expect "100-continue, foo" → 417', class: 'expect', raw: POST('Expect: 100-continue, foo\r\nContent-Length: 5\r\n', 'hello'), ...refused(417, 'REQUEST_EXPECTATION_FAILED', 'guard', { forbid: /100 Continue/ }) },
  { name: 'Expect "100-continue;x=1" → 417', class: 'expect', raw: POST('Expect: 100-continue;x=1\r\nContent-Length: 5\r\n', 'hello'), ...refused(417, 'REQUEST_EXPECTATION_FAILED', 'guard', { forbid: /100 Continue/ }) },
  { name: 'unknown expectation on a GET → 417', class: 'expect', raw: GET('Expect: foo\r\n'), ...refused(417, 'REQUEST_EXPECTATION_FAILED', 'guard') },
  { name: 'Expect in an obs-fold continuation line', class: 'expect', raw: POST('Expect:\r\n 100-continue\r\nContent-Length: 5\r\n', 'hello'), ...refused(400, 'REQUEST_MALFORMED', 'llhttp') },

  // --- HTTP/1.0 (RFC 9112 §6.1, §9.3) ---
  { name: 'HTTP/1.0 with a body by Content-Length is forwarded as HTTP/1.1, then closed', class: 'http-1.0', raw: 'POST /e HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello', status: 200, close: true, origin: [{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }] },
  { name: 'HTTP/1.0 with Transfer-Encoding', class: 'http-1.0', raw: `POST /e HTTP/1.0\r\n${CHUNKED}\r\n5\r\nhello\r\n0\r\n\r\n`, ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'HTTP/1.0 keep-alive with Transfer-Encoding', class: 'http-1.0', raw: `POST /e HTTP/1.0\r\nConnection: keep-alive\r\n${CHUNKED}\r\n0\r\n\r\n${SMUGGLED}`, ...refused(400, 'REQUEST_MALFORMED', 'guard') },
  { name: 'HTTP/1.0 with Expect: 100-continue gets no 100 (RFC 9110 §10.1.1)', class: 'http-1.0', raw: 'POST /e HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello', status: 200, close: true, origin: [{ method: 'POST', target: '/e', body: 'hello', framing: 'length' }], forbid: /100 Continue/ },

  // --- pipelining (RFC 9112 §9.3.2) ---
  // The bad head is seen while the first request is still in flight: its answer then says
  // Connection: close, so the refusal itself is never sent (nothing may follow a close).
  { name: 'a valid request, then one with CL and TE: the first is served (with close), nothing after it', class: 'pipelining', raw: `GET /first HTTP/1.1\r\n${H}\r\n${POST(`Content-Length: 5\r\n${CHUNKED}`, '0\r\n\r\n')}${SMUGGLED}`, status: [200], close: true, origin: [{ method: 'GET', target: '/first', framing: 'none' }] },
  { name: 'a valid request, then a bad Host: nothing after the refusal', class: 'pipelining', raw: `GET /first HTTP/1.1\r\n${H}\r\nGET /e HTTP/1.1\r\nHost: a,b\r\n\r\n${SMUGGLED}`, status: [200, 400], code: 'REQUEST_HOST_INVALID', close: true, origin: [{ method: 'GET', target: '/first', framing: 'none' }] },
  { name: 'a body that looks like a request stays a body (Content-Length)', class: 'pipelining', raw: POST(`Content-Length: ${SMUGGLED.length}\r\n`, SMUGGLED), ...forwarded([{ method: 'POST', target: '/e', body: SMUGGLED, framing: 'length' }]) },
  { name: 'a body that looks like a request stays a body (chunked)', class: 'pipelining', raw: POST(CHUNKED, `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`), ...forwarded([{ method: 'POST', target: '/e', body: SMUGGLED, framing: 'chunked' }]) },
  { name: 'GET with a body by Content-Length is framed by it', class: 'pipelining', raw: GET(`Content-Length: ${SMUGGLED.length}\r\n`) + SMUGGLED, ...forwarded([{ method: 'GET', target: '/e', body: SMUGGLED, framing: 'length' }]) },
  { name: 'Content-Length: 0 then a second request: two requests', class: 'pipelining', raw: POST('Content-Length: 0\r\n') + `GET /second HTTP/1.1\r\n${H}\r\n`, status: [200, 200], close: false, origin: [{ method: 'POST', target: '/e', body: '', framing: 'length' }, { method: 'GET', target: '/second', framing: 'none' }] },

  // --- size limits (RFC 9110 §15.5.14, RFC 6585 §5) ---
  { name: 'head over maxHeaderBytes → 431', class: 'size-limits', raw: GET(`X-Pad: ${'p'.repeat(3000)}\r\n`), ...refused(431, 'REQUEST_HEADERS_TOO_LARGE', 'limit') },
  { name: 'request target over maxHeaderBytes → 431 (no separate URI limit)', class: 'size-limits', raw: GET('', `/${'u'.repeat(3000)}`), ...refused(431, 'REQUEST_HEADERS_TOO_LARGE', 'limit') },
  { name: 'Content-Length over maxBodyBytes → 413 before the body is read', class: 'size-limits', raw: POST('Content-Length: 5000\r\n'), ...refused(413, 'REQUEST_BODY_TOO_LARGE', 'limit') },
];
