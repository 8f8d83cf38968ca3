/**
 * The built-in demo: with no config file, Barbican starts two small origins on loopback and
 * puts itself in front of them, so a newcomer sees it work at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema, type Config } from './config/schema.js';

function startDemoOrigin(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.end('ok\n');
      return;
    }
    const body = JSON.stringify(
      {
        origin: name,
        method: req.method,
        url: req.url,
        headers: {
          host: req.headers.host,
          'x-forwarded-for': req.headers['x-forwarded-for'],
          'x-forwarded-proto': req.headers['x-forwarded-proto'],
          'x-forwarded-host': req.headers['x-forwarded-host'],
          'x-request-id': req.headers['x-request-id'],
        },
      },
      null,
      2,
    );
    // The Server header is what origins leak; Barbican hides it.
    res.writeHead(200, { 'content-type': 'application/json', server: `demo-origin/${name}`, 'x-powered-by': 'node' });
    res.end(body + '\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export interface Demo {
  config: Config;
  origins: Server[];
}

/** Starts the demo origins and returns the config that fronts them. */
export async function startDemo(port: number): Promise<Demo> {
  const origins = await Promise.all([startDemoOrigin('alpha'), startDemoOrigin('beta')]);
  const urls = origins.map((o) => `http://127.0.0.1:${(o.address() as AddressInfo).port}`);
  const config = configSchema.parse({
    listeners: [{ name: 'web', address: `127.0.0.1:${port}` }],
    upstreams: { demo: { targets: urls.map((url) => ({ url })) } },
    routes: [
      { name: 'ping', match: { path: '/ping' }, respond: { status: 200, body: 'pong\n', headers: { 'content-type': 'text/plain' } } },
      { name: 'old', match: { pathPrefix: '/old/' }, redirect: { to: '/app{path}{query}', status: 308 } },
      { name: 'app', match: { pathPrefix: '/app' }, upstream: 'demo', rewrite: { stripPrefix: '/app' }, responseHeaders: { set: { 'x-served-by': 'barbican' } } },
      { name: 'home', match: { path: '/' }, respond: { status: 200, body: DEMO_HOME, headers: { 'content-type': 'text/plain; charset=utf-8' } } },
    ],
    logging: { accessLog: { format: 'combined', output: 'stdout' } },
  });
  return { config, origins };
}

const DEMO_HOME = `Barbican demo
=============
Barbican is running in front of two demo origins on loopback (round robin).

  /app/...   forwarded to the origins (prefix /app stripped); they echo what they received
  /ping      answered by Barbican itself
  /old/x     redirected (308) to /app/old/x
  anything else: 404 from Barbican

Write a barbican.yaml (see docs/configuration.md) and run barbican again to use your own.
`;
