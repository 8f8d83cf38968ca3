// Header handling (RFC 9110 §7.6) through the real binary, as seen by the origin and by the
// client: hop-by-hop headers, X-Forwarded-*, route header edits, hidden response headers,
// request ids, repeated response fields, and what error responses must not reveal.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, startProxy, startRawOrigin, request, rawRequest, deadAddress } from '../helpers.mjs';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Lower-cased names of a flat raw header list. */
const names = (raw) => raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());

/** All values of header `name` (lower case) in a flat raw header list. */
function values(raw, name) {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

/**
 * Parses the first HTTP/1.1 response in a raw latin1 string: { status, headers (lower-case
 * names → array of values), body (string, de-chunked) }.
 */
function parseResponse(data) {
  const end = data.indexOf('\r\n\r\n');
  assert.ok(end !== -1, `no complete response head in ${JSON.stringify(data.slice(0, 200))}`);
  const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  let rest = data.slice(end + 4);
  let body = rest;
  if (headers['transfer-encoding']?.[0] === 'chunked') {
    body = '';
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, lineEnd), 16);
      if (size === 0) break;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
  } else if (headers['content-length']) {
    body = rest.slice(0, Number(headers['content-length'][0]));
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * An origin that echoes the request as JSON and adds response headers chosen by path, so one
 * origin serves every test of a proxy.
 */
function originHandler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = [['content-type', 'application/json']];
    const path = req.url.split('?')[0];
    if (path.startsWith('/edit/')) {
      headers.push(['x-set', 'origin'], ['x-remove-me', '1'], ['x-add', 'origin'], ['x-keep', '1']);
    } else if (path.startsWith('/hide/')) {
      headers.push(
        ['Server', 'Apache/2.4.1 (Unix)'],
        ['X-Powered-By', 'PHP/8.1'],
        ['X-AspNet-Version', '4.0.30319'],
        ['X-AspNetMvc-Version', '5.2'],
        ['X-Internal', 'secret'],
        ['X-Other', 'ok'],
      );
    } else if (path.startsWith('/hop-resp/')) {
      headers.push(
        ['Connection', 'x-foo'],
        ['X-Foo', 'bar'],
        ['Keep-Alive', 'timeout=5, max=100'],
        ['Proxy-Authenticate', 'Basic realm="origin"'],
        ['X-Kept', 'yes'],
      );
    } else if (path.startsWith('/cookies/')) {
      headers.push(['Set-Cookie', 'a=1; Path=/'], ['Set-Cookie', 'b=2; HttpOnly'], ['X-Multi', 'one'], ['X-Multi', 'two']);
    }
    const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, bodyLength: body.length, body: body.toString('latin1') });
    // /reason/STATUS/PHRASE: that status line ("-" for an empty phrase).
    const reason = /^\/reason\/(\d{3})\/([^/]*)$/.exec(path);
    if (reason !== null) return void res.writeHead(Number(reason[1]), reason[2] === '-' ? '' : decodeURIComponent(reason[2]), headers.flat()).end(payload);
    res.writeHead(200, headers.flat());
    res.end(payload);
  });
}

describe('headers: request side, untrusted peer', () => {
  let origin;
  let proxy;
  let dead;

  before(async () => {
    origin = await startOrigin(originHandler);
    dead = await deadAddress();
    proxy = await startProxy({
      upstreams: {
        origin: { targets: [{ url: origin.url }] },
        dead: { targets: [{ url: dead }] },
      },
      routes: [
        {
          name: 'edit',
          match: { pathPrefix: '/edit/' },
          upstream: 'origin',
          requestHeaders: { set: { 'x-env': 'prod' }, add: { 'x-added': 'proxy' }, remove: ['x-debug'] },
          responseHeaders: { set: { 'x-set': 'proxy' }, add: { 'x-add': 'proxy' }, remove: ['x-remove-me'] },
        },
        { name: 'dead', match: { pathPrefix: '/dead/' }, upstream: 'dead' },
        // DELETE matches nothing: a 404 to test errors before any upstream is involved.
        { name: 'main', match: { methods: ['GET', 'POST'] }, upstream: 'origin' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  /** The last request the origin received. */
  const last = () => origin.requests.at(-1);

  it('hop-by-hop request headers never reach the origin', async () => {
    const before = origin.requests.length;
    const { data } = await rawRequest(
      proxy.port,
      'GET /hop/req HTTP/1.1\r\n' +
        'Host: h.test\r\n' +
        'Connection: keep-alive, x-secret\r\n' +
        'Keep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\n' +
        'TE: gzip\r\n' +
        'Trailer: x-checksum\r\n' +
        'Upgrade: websocket\r\n' +
        'Proxy-Authorization: Basic Zm9vOmJhcg==\r\n' +
        'X-Secret: s3cret\r\n' +
        'X-Visible: yes\r\n' +
        '\r\n',
      { idleMs: 300 },
    );
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.equal(origin.requests.length, before + 1);
    const seen = names(last().rawHeaders);
    for (const h of ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'x-secret']) {
      assert.ok(!seen.includes(h), `${h} reached the origin: ${seen.join(', ')}`);
    }
    assert.equal(last().headers['x-visible'], 'yes');
    // (TE: trailers is the exception: sent on for this hop, see continue-trailers-interim.test.mjs.)
    assert.equal(last().headers.host, 'h.test');
  });

  it('Connection: host, content-length cannot strip Host or the body framing', async () => {
    const before = origin.requests.length;
    const { data } = await rawRequest(
      proxy.port,
      'POST /protected HTTP/1.1\r\n' +
        'Host: h.test\r\n' +
        'Connection: host, content-length, x-gone\r\n' +
        'Content-Length: 11\r\n' +
        'X-Gone: 1\r\n' +
        '\r\n' +
        'hello world',
      { idleMs: 300 },
    );
    const res = parseResponse(data);
    assert.equal(res.status, 200);
    assert.equal(origin.requests.length, before + 1);
    const body = JSON.parse(res.body);
    assert.equal(body.headers.host, 'h.test');
    assert.equal(body.headers['content-length'], '11');
    assert.equal(body.bodyLength, 11);
    assert.equal(body.body, 'hello world');
    assert.equal(body.headers['x-gone'], undefined);
  });

  it('Connection: transfer-encoding cannot strip chunked framing', async () => {
    const { data } = await rawRequest(
      proxy.port,
      'POST /protected-chunked HTTP/1.1\r\n' +
        'Host: h.test\r\n' +
        'Connection: transfer-encoding, host\r\n' +
        'Transfer-Encoding: chunked\r\n' +
        '\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      { idleMs: 300 },
    );
    const res = parseResponse(data);
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.equal(body.headers.host, 'h.test');
    assert.equal(body.body, 'hello world');
  });

  it('X-Forwarded-For/-Proto/-Host from an untrusted client are replaced', async () => {
    const res = await request(`${proxy.url}/xff`, {
      headers: {
        host: 'shop.test:8080',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.test',
        forwarded: 'for=203.0.113.9;proto=https',
      },
    });
    assert.equal(res.status, 200);
    const raw = last().rawHeaders;
    assert.deepEqual(values(raw, 'x-forwarded-for'), ['127.0.0.1']);
    assert.deepEqual(values(raw, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(values(raw, 'x-forwarded-host'), ['shop.test:8080']);
    assert.deepEqual(values(raw, 'forwarded'), []);
    assert.deepEqual(values(raw, 'host'), ['shop.test:8080']);
  });

  it('without client X-Forwarded-*, they are added: peer, http, client Host', async () => {
    await request(`${proxy.url}/xff-none`, { headers: { host: 'plain.test' } });
    const h = last().headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'plain.test');
  });

  it('requestHeaders: set replaces, add appends, remove drops', async () => {
    await request(`${proxy.url}/edit/req`, { headers: { 'x-env': 'dev', 'x-added': 'client', 'x-debug': '1', 'x-other': 'kept' } });
    const raw = last().rawHeaders;
    assert.deepEqual(values(raw, 'x-env'), ['prod']);
    assert.deepEqual(values(raw, 'x-added').sort(), ['client', 'proxy']);
    assert.deepEqual(values(raw, 'x-debug'), []);
    assert.deepEqual(values(raw, 'x-other'), ['kept']);
  });

  it('responseHeaders: set replaces, add appends, remove drops', async () => {
    const res = await request(`${proxy.url}/edit/res`);
    assert.equal(res.status, 200);
    assert.deepEqual(values(res.rawHeaders, 'x-set'), ['proxy']);
    assert.deepEqual(values(res.rawHeaders, 'x-add').sort(), ['origin', 'proxy']);
    assert.deepEqual(values(res.rawHeaders, 'x-remove-me'), []);
    assert.deepEqual(values(res.rawHeaders, 'x-keep'), ['1']);
  });

  it('hideResponseHeaders default removes Server, X-Powered-By, X-AspNet-Version, X-AspNetMvc-Version', async () => {
    const res = await request(`${proxy.url}/hide/x`);
    assert.equal(res.status, 200);
    const seen = names(res.rawHeaders);
    for (const h of ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version']) {
      assert.ok(!seen.includes(h), `${h} reached the client`);
    }
    assert.equal(res.headers['x-internal'], 'secret');
    assert.equal(res.headers['x-other'], 'ok');
  });

  it('hop-by-hop response headers (and those named by Connection) are removed', async () => {
    const res = await request(`${proxy.url}/hop-resp/x`);
    assert.equal(res.status, 200);
    const seen = names(res.rawHeaders);
    for (const h of ['x-foo', 'keep-alive', 'proxy-authenticate']) assert.ok(!seen.includes(h), `${h} reached the client`);
    for (const v of values(res.rawHeaders, 'connection')) assert.match(v, /^(close|keep-alive)$/i);
    assert.equal(res.headers['x-kept'], 'yes');
    assert.equal(JSON.parse(res.body.toString()).url, '/hop-resp/x');
  });

  it("the origin's reason phrase is relayed; an empty one gets the standard phrase", async () => {
    /** The status line the client receives for GET `path`. */
    const statusLine = async (path) => {
      const { data } = await rawRequest(proxy.port, `GET ${path} HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n`);
      return data.slice(0, data.indexOf('\r\n'));
    };
    assert.equal(await statusLine('/reason/200/Quite%20Fine'), 'HTTP/1.1 200 Quite Fine');
    assert.equal(await statusLine('/reason/201/Created'), 'HTTP/1.1 201 Created');
    // The standard line is made once per status and reused: the same answer the second time.
    for (let i = 0; i < 2; i++) assert.equal(await statusLine('/reason/203/-'), 'HTTP/1.1 203 Non-Authoritative Information');
    // A phrase differing from the standard one for that status is not replaced by the cached line.
    assert.equal(await statusLine('/reason/203/Mine'), 'HTTP/1.1 203 Mine');
    assert.equal(await statusLine('/reason/299/-'), 'HTTP/1.1 299 Unknown');
  });

  it('repeated response headers (two Set-Cookie) are all forwarded', async () => {
    const res = await request(`${proxy.url}/cookies/x`);
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
    assert.deepEqual(values(res.rawHeaders, 'x-multi'), ['one', 'two']);
  });

  it('a valid incoming X-Request-Id reaches the origin, exactly once', async () => {
    const id = 'abc-123.XYZ:9_z';
    await request(`${proxy.url}/rid`, { headers: { 'x-request-id': id } });
    assert.deepEqual(values(last().rawHeaders, 'x-request-id'), [id]);
  });

  it('a valid incoming X-Request-Id comes back on errors (404 and 502)', async () => {
    const id = 'req-0001';
    const notFound = await request(`${proxy.url}/nothing`, { method: 'DELETE', headers: { 'x-request-id': id } });
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers['x-request-id'], id);
    assert.ok(notFound.body.toString().includes(id), '404 body names the request id');
    const bad = await request(`${proxy.url}/dead/x`, { headers: { 'x-request-id': id } });
    assert.equal(bad.status, 502);
    assert.equal(bad.headers['x-request-id'], id);
    assert.ok(bad.body.toString().includes(id), 'error body names the request id');
  });

  it('no incoming X-Request-Id: a fresh valid one is sent upstream, unique per request', async () => {
    await request(`${proxy.url}/rid-a`);
    const a = values(last().rawHeaders, 'x-request-id');
    await request(`${proxy.url}/rid-b`);
    const b = values(last().rawHeaders, 'x-request-id');
    assert.equal(a.length, 1);
    assert.equal(b.length, 1);
    assert.match(a[0], VALID_ID);
    assert.notEqual(a[0], b[0]);
  });

  for (const [label, bad] of [['with spaces', 'not a valid id'], ['of 200 chars', 'a'.repeat(200)], ['with < >', 'x<script>']]) {
    it(`an invalid X-Request-Id (${label}) is replaced on error responses`, async () => {
      const res = await request(`${proxy.url}/dead/x`, { headers: { 'x-request-id': bad } });
      assert.equal(res.status, 502);
      const id = res.headers['x-request-id'];
      assert.notEqual(id, bad);
      assert.match(id, VALID_ID);
      assert.ok(!res.body.toString().includes(bad), 'the invalid id is not echoed');
    });

    it(`an invalid X-Request-Id (${label}) never reaches the origin; one valid replacement does`, async () => {
      await request(`${proxy.url}/rid-invalid`, { headers: { 'x-request-id': bad } });
      const got = values(last().rawHeaders, 'x-request-id');
      assert.equal(got.length, 1, `origin got ${JSON.stringify(got)}`);
      assert.notEqual(got[0], bad);
      assert.match(got[0], VALID_ID);
    });
  }

  it('a 502 from a dead target reveals no upstream address and no stack trace', async () => {
    const { host, hostname, port } = new URL(dead);
    const res = await request(`${proxy.url}/dead/secret-path`);
    assert.equal(res.status, 502);
    const text = res.body.toString() + '\n' + res.rawHeaders.join('\n');
    assert.ok(!text.includes(host), text);
    assert.ok(!text.includes(hostname), `target address ${hostname} in: ${text}`);
    assert.ok(!text.includes(port), `target port ${port} in: ${text}`);
    assert.ok(!/ECONNREFUSED|\n\s+at \S|\.(js|ts):\d+/.test(text), text);
    assert.match(res.body.toString(), /UPSTREAM_CONNECT_REFUSED|502/);
  });
});

describe('headers: X-Forwarded-* from a trusted proxy', () => {
  let origin;
  let proxy;

  before(async () => {
    origin = await startOrigin(originHandler);
    proxy = await startProxy({
      server: { trustedProxies: ['127.0.0.1'] },
      upstreams: { origin: { targets: [{ url: origin.url }] } },
      routes: [{ name: 'main', upstream: 'origin' }],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
  });

  it('keeps X-Forwarded-Proto/-Host and appends the peer to X-Forwarded-For', async () => {
    const res = await request(`${proxy.url}/xff`, {
      headers: { host: 'edge.test', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.example.com' },
    });
    assert.equal(res.status, 200);
    const raw = origin.requests.at(-1).rawHeaders;
    assert.deepEqual(values(raw, 'x-forwarded-for'), ['203.0.113.9, 127.0.0.1']);
    assert.deepEqual(values(raw, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(values(raw, 'x-forwarded-host'), ['www.example.com']);
    assert.deepEqual(values(raw, 'host'), ['edge.test']);
  });

  it('joins repeated X-Forwarded-For fields in order, then the peer', async () => {
    await rawRequest(
      proxy.port,
      'GET /xff2 HTTP/1.1\r\nHost: edge.test\r\nX-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n',
      { idleMs: 300 },
    );
    const raw = origin.requests.at(-1).rawHeaders;
    assert.deepEqual(values(raw, 'x-forwarded-for'), ['198.51.100.1, 203.0.113.9, 127.0.0.1']);
  });

  it('without client X-Forwarded-* from a trusted peer, they are still added', async () => {
    await request(`${proxy.url}/xff3`, { headers: { host: 'edge.test' } });
    const h = origin.requests.at(-1).headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'edge.test');
  });
});

describe('headers: custom hideResponseHeaders and bad upstream responses', () => {
  let origin;
  let garbage;
  let proxy;

  before(async () => {
    origin = await startOrigin(originHandler);
    // A target that answers with something that is not HTTP.
    garbage = await startRawOrigin((s) => s.once('data', () => s.end('SMTP ready, not HTTP\r\n\r\n')));
    proxy = await startProxy({
      server: { hideResponseHeaders: ['X-Internal', 'x-powered-by'] },
      upstreams: {
        origin: { targets: [{ url: origin.url }] },
        garbage: { targets: [{ url: garbage.url }] },
      },
      routes: [
        { name: 'garbage', match: { pathPrefix: '/garbage/' }, upstream: 'garbage' },
        { name: 'main', upstream: 'origin' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    await origin?.close();
    await garbage?.close();
  });

  it('removes exactly the configured headers (case-insensitive); the list replaces the default', async () => {
    const res = await request(`${proxy.url}/hide/x`);
    assert.equal(res.status, 200);
    const seen = names(res.rawHeaders);
    assert.ok(!seen.includes('x-internal'));
    assert.ok(!seen.includes('x-powered-by'));
    assert.equal(res.headers.server, 'Apache/2.4.1 (Unix)');
    assert.equal(res.headers['x-other'], 'ok');
  });

  it('a 502 for an invalid upstream response reveals no address and no parser detail', async () => {
    const port = String(garbage.port);
    const res = await request(`${proxy.url}/garbage/x`, { headers: { 'x-request-id': 'garbage-1' } });
    assert.equal(res.status, 502);
    assert.equal(res.headers['x-request-id'], 'garbage-1');
    const text = res.body.toString() + '\n' + res.rawHeaders.join('\n');
    assert.ok(!text.includes(port), text);
    assert.ok(!/SMTP|HPE_|\n\s+at \S|\.(js|ts):\d+/.test(text), text);
    assert.match(res.body.toString(), /UPSTREAM_BAD_RESPONSE/);
  });
});
