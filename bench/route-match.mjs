// Micro-benchmark (not a test): 1M route matches against a 20-route table.
// Run after a build: npx tsc -p tsconfig.json && node bench/route-match.mjs
import { createRouteTable, routesSchema } from '../dist/routing/index.js';

const routes = routesSchema.parse([
  { match: { path: '/healthz' }, respond: { body: 'ok' } },
  { match: { hosts: ['old.example.com'] }, redirect: { to: 'https://example.com{path}' } },
  { match: { hosts: ['api.example.com'], pathPrefix: '/v1/', methods: ['GET', 'POST'], headers: { 'x-canary': '1' } }, upstream: 'canary' },
  { match: { hosts: ['api.example.com'], pathPrefix: '/v1/', methods: ['GET', 'POST'] }, upstream: 'api' },
  { match: { hosts: ['api.example.com'], pathPrefix: '/v2/' }, upstream: 'api2' },
  { match: { hosts: ['api.example.com'], pathRegex: '^/items/[0-9]+$' }, upstream: 'items' },
  { match: { hosts: ['admin.example.com'], methods: ['GET'] }, upstream: 'admin' },
  { match: { hosts: ['*.static.example.com'] }, upstream: 'static' },
  { match: { hosts: ['*.tenants.example.com'], pathPrefix: '/app/' }, upstream: 'tenants' },
  { match: { hosts: ['*.tenants.example.com'] }, upstream: 'tenants-web' },
  { match: { hosts: ['shop.example.com', 'www.shop.example.com'], pathPrefix: '/cart' }, upstream: 'cart' },
  { match: { hosts: ['shop.example.com', 'www.shop.example.com'] }, upstream: 'shop' },
  { match: { hosts: ['blog.example.com'], pathRegex: '^/[0-9]{4}/[0-9]{2}/' }, upstream: 'blog-posts' },
  { match: { hosts: ['blog.example.com'] }, upstream: 'blog' },
  { match: { pathPrefix: '/.well-known/' }, upstream: 'wellknown' },
  { match: { hosts: ['localhost', '127.0.0.1', '[::1]'] }, upstream: 'local' },
  { match: { headers: { 'x-debug': 'on' } }, upstream: 'debug' },
  { match: { methods: ['OPTIONS'] }, respond: { status: 204 } },
  { match: { hosts: ['*.example.com'] }, upstream: 'wildcard' },
  { match: {}, upstream: 'default' },
]);
const table = createRouteTable(routes, (route, i) => route.upstream ?? `route-${i}`);

const request = (host, path, method = 'GET', headers = {}) => ({ host, path, method, header: (name) => headers[name] });
const requests = [
  request('api.example.com', '/v1/users/42'),
  request('API.Example.com:8443', '/v1/users', 'POST', { 'x-canary': '1' }),
  request('api.example.com', '/v2/orders'),
  request('api.example.com', '/items/12345'),
  request('api.example.com', '/nothing/here', 'DELETE'),
  request('admin.example.com', '/dashboard', 'HEAD'),
  request('cdn1.static.example.com', '/img/logo.png'),
  request('acme.tenants.example.com', '/app/home'),
  request('a.b.tenants.example.com', '/'),
  request('www.shop.example.com', '/cart/add', 'POST'),
  request('shop.example.com', '/products/1'),
  request('blog.example.com', '/2024/05/some-post'),
  request('blog.example.com', '/about'),
  request('unknown.test', '/.well-known/acme-challenge/x'),
  request('localhost:8080', '/'),
  request('[::1]:8080', '/x'),
  request('unknown.test', '/', 'GET', { 'x-debug': 'on' }),
  request('unknown.test', '/', 'OPTIONS'),
  request('other.example.com', '/'),
  request(undefined, '/healthz'),
  request('example.com', '/index.html'),
  request('old.example.com', '/page'),
];

// In the proxy every request brings freshly decoded header strings (whose hashes V8 has not
// cached yet), so each match gets its own copy of the Host value. Copies are made outside the
// timed sections, in chunks small enough to stay in the CPU cache like a live request does.
const hostBytes = requests.map((r) => (r.host === undefined ? undefined : Buffer.from(r.host, 'latin1')));
const CHUNK = 1000;
const chunk = Array.from({ length: CHUNK }, (_, i) => ({ ...requests[i % requests.length] }));
const refreshHosts = () => {
  for (let i = 0; i < CHUNK; i++) {
    const bytes = hostBytes[i % requests.length];
    chunk[i].host = bytes === undefined ? undefined : bytes.toString('latin1');
  }
};

let sink = 0;
/** Matches n requests (a multiple of CHUNK); returns the nanoseconds spent matching. */
const run = (n) => {
  let ns = 0n;
  for (let done = 0; done < n; done += CHUNK) {
    refreshHosts();
    const start = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) {
      if (table.match(chunk[i]) !== undefined) sink++;
    }
    ns += process.hrtime.bigint() - start;
  }
  return Number(ns);
};

run(200_000); // warm-up: let the JIT settle
const N = 1_000_000;
const runs = [];
for (let r = 0; r < 5; r++) runs.push(run(N) / N);
runs.sort((a, b) => a - b);
if (sink === 0) throw new Error('nothing matched');
console.log(`route-match: ${routes.length} routes, ${requests.length} request shapes, ${N} matches/run`);
console.log(`median ${runs[2].toFixed(1)} ns/match (best ${runs[0].toFixed(1)}, worst ${runs[4].toFixed(1)}) on node ${process.version}`);
