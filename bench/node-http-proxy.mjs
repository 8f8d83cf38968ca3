// Benchmark contender: node-http-proxy (the `http-proxy` package) in front of one
// origin, with a keep-alive http.Agent for the upstream connections.
//
//   node bench/node-http-proxy.mjs --port 8081 --target http://127.0.0.1:8080 \
//     [--keep-alive-timeout-ms 5000]
//
// Single process. Used by bench/run.sh; fine to run by hand.
import http from 'node:http';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    target: { type: 'string' },
    'keep-alive-timeout-ms': { type: 'string', default: '5000' },
  },
});
if (!values.port || !values.target) {
  console.error('usage: node bench/node-http-proxy.mjs --port PORT --target http://HOST:PORT');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: values.target, agent });

proxy.on('error', (err, req, res) => {
  // res is a ServerResponse for HTTP requests (a socket only for upgrades, unused here).
  if (res && typeof res.writeHead === 'function') {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway\n');
  } else if (res && typeof res.destroy === 'function') {
    res.destroy();
  }
});

const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = Number(values['keep-alive-timeout-ms']);
server.listen(Number(values.port), values.host, () => {
  console.log(`node-http-proxy listening on ${values.host}:${values.port} -> ${values.target}`);
});

const stop = () => {
  server.close();
  agent.destroy();
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
