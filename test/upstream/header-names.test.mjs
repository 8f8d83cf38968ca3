// Header names are matched in any case without lower-casing them (upstream/header-names.ts):
// the result must be exactly what lower-casing and a Set lookup gave.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderNameSet, sameName } from '../../dist/upstream/header-names.js';
import { forwardInterimHeaders, forwardRequestHeaders, forwardResponseHeaders } from '../../dist/upstream/forwarded-headers.js';

const NAMES = ['connection', 'content-length', 'te', 'x-forwarded-for', 'date', 'x-powered-by', 'server', 'a', 'x-9'];
// Names that differ from those above by one character outside the letters' case: none may match.
const NEAR = ['connectioN ', 'content_length', 'content-lengtH2', 'tf', 'ue', 'x-forwarded-fos', 'dat', 'x\u00ad9', 'x-\u00199', 'c\u00f0nnection', 'server\u0000'];

const cases = (s) => [s, s.toUpperCase(), s.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')];

test('sameName: equal ignoring ASCII case, nothing else', () => {
  for (const lower of NAMES) {
    for (const variant of cases(lower)) assert.equal(sameName(variant, lower), true, `${variant} is ${lower}`);
    for (const near of NEAR) assert.equal(sameName(near, lower), near.toLowerCase() === lower, `${JSON.stringify(near)} vs ${lower}`);
  }
  // Only letters fold: '-' (0x2d) and CR (0x0d), '9' and 0x19 differ by the same bit as a letter's case.
  assert.equal(sameName('x\r9', 'x-9'), false);
  assert.equal(sameName('x-\u0019', 'x-9'), false);
  assert.equal(sameName('@', '`'), false);
  assert.equal(sameName('[', '{'), false);
});

test('HeaderNameSet finds its own (lower-case) entry for a name in any case', () => {
  const set = new HeaderNameSet(['Server', 'X-Powered-By', 'server', 'date']);
  assert.equal(set.find('SERVER'), 'server');
  assert.equal(set.find('x-powered-by'), 'x-powered-by');
  assert.equal(set.find('Date'), 'date');
  assert.equal(set.find('Dat'), undefined);
  assert.equal(set.find('Content-Type'), undefined);
  assert.equal(set.has('X-POWERED-BY'), true);
  assert.equal(new HeaderNameSet([]).has('server'), false);
});

test('forwarding keeps, drops and replaces headers in any case as before', () => {
  const ctx = { peer: '10.0.0.9', peerTrusted: true, scheme: 'https', host: 'origin.test', clientHost: 'site.test', requestId: 'rid' };
  const raw = ['HOST', 'site.test', 'x-FORWARDED-for', '1.1.1.1', 'Connection', 'keep-alive, X-Secret', 'X-SECRET', 's', 'tE', 'trailers', 'Keep-Alive', '5', 'X-Request-ID', 'client', 'Accept', '*/*', 'Content-LENGTH', '3', 'Expect', '100-continue'];
  assert.deepEqual(forwardRequestHeaders(raw, ctx), [
    'Accept', '*/*', 'Host', 'origin.test', 'X-Forwarded-For', '1.1.1.1, 10.0.0.9', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'site.test', 'X-Request-Id', 'rid', 'TE', 'trailers', 'Connection', 'TE',
  ]);
  // An untrusted peer's forwarding headers are dropped, whatever their case.
  assert.deepEqual(forwardRequestHeaders(['X-Forwarded-Host', 'evil', 'FORWARDED', 'for=1.2.3.4', 'x-request-id', 'mine'], { ...ctx, peerTrusted: false }), [
    'Host', 'origin.test', 'X-Forwarded-For', '10.0.0.9', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'site.test', 'X-Request-Id', 'rid',
  ]);

  const hidden = new HeaderNameSet(['Server', 'x-powered-by']);
  const response = ['SERVER', 'nginx', 'date', 'Wed, 02 Dec 2026 02:00:00 GMT', 'Content-Type', 'text/plain', 'CONTENT-LENGTH', '12', 'connection', 'close, X-Internal', 'X-Internal', '1', 'X-Powered-By', 'php', 'Transfer-Encoding', 'chunked', 'Vary', 'Accept'];
  assert.deepEqual(forwardResponseHeaders(response, hidden), ['date', 'Wed, 02 Dec 2026 02:00:00 GMT', 'Content-Type', 'text/plain', 'Vary', 'Accept']);
  // Date hidden: dropped, and one is added (RFC 9110 §6.6.1).
  const withoutDate = forwardResponseHeaders(['DATE', 'x', 'ETag', '"1"'], new HeaderNameSet(['date']));
  assert.equal(withoutDate[0], 'ETag');
  assert.equal(withoutDate[2], 'Date');
  assert.notEqual(withoutDate[3], 'x');
  assert.deepEqual(forwardInterimHeaders(['Link', '</a.css>; rel=preload', 'Connection', 'X-Hint', 'x-hint', '1', 'Server', 'n', 'Date', 'd'], hidden), ['Link', '</a.css>; rel=preload', 'Date', 'd']);
});
