// Benchmark reference, not a peer: the "raw net sockets + own HTTP/1.1 framing, pooled upstream
// sockets" design of PERFORMANCE.md, reduced to what wrk's three workloads need, to show what
// that design class reaches on the machine at hand. It keeps bytes as bytes (one read buffer per
// socket, reused), rebuilds each head once as one string, gives every client connection its own
// upstream connection, and holds writes to the end of the turn as Barbican does.
//
// It is NOT a usable proxy and not safe: no validation of any kind (a request that is not a
// Content-Length GET or POST with its whole head in one read is cut), no routing, limits,
// timeouts, errors, metrics or logs. The difference between it and Barbican is what Barbican's
// strict parsing and features cost per request.
//
//   node bench/raw-node-proxy.mjs --port 8082 --target http://127.0.0.1:8080
//
// Single process. Used by bench/run.sh (contender node-raw); fine to run by hand.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, target: { type: 'string' } },
});
if (!values.port || !values.target) {
  console.error('usage: node bench/raw-node-proxy.mjs --port PORT --target http://HOST:PORT');
  process.exit(2);
}
const target = new URL(values.target);
const upstreamAddress = { host: target.hostname, port: Number(target.port), noDelay: true };

/** Index just past the first CRLFCRLF in b[0, to), or -1. */
function headEnd(b, to) {
  for (let i = 0; i + 3 < to; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i + 4;
  return -1;
}

/** The head's lines less those named in `drop` (lower case), its Content-Length, and its Host. */
function rebuild(b, end, drop) {
  const lines = b.latin1Slice(0, end - 4).split('\r\n');
  let head = lines[0] + '\r\n';
  let length = 0;
  let host = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (drop.includes(name)) continue;
    if (name === 'content-length') length = Number(line.slice(colon + 1));
    else if (name === 'host') host = line.slice(colon + 1).trim();
    head += line + '\r\n';
  }
  return { head, length, host };
}

/** Writes held to the end of the turn (cork now, uncork every corked socket in setImmediate). */
let corked = [];
let scheduled = false;
function sendAll() {
  scheduled = false;
  const list = corked;
  corked = [];
  for (const socket of list) socket.uncork();
}
function write(socket, bytes) {
  if (socket.writableCorked === 0) {
    socket.cork();
    corked.push(socket);
    if (!scheduled) {
      scheduled = true;
      setImmediate(sendAll);
    }
  }
  socket.write(bytes);
}

/** `head` and the body bytes after it in one buffer. */
function joined(head, body) {
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.latin1Write(head, 0);
  body.copy(out, head.length);
  return out;
}

const REQUEST_DROP = ['connection', 'keep-alive', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];
const RESPONSE_DROP = ['connection', 'keep-alive', 'server'];
let requestIds = 0;

const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  // Re-wrapped so that reads land in a reused buffer (the `onread` option exists for net.connect
  // and new Socket(), not for sockets a server accepts).
  const handle = accepted._handle;
  accepted._handle = null;
  accepted.destroy();
  let requestBodyLeft = 0;
  let responseBodyLeft = 0;
  let awaitingHead = true;
  const client = new net.Socket({ handle, onread: { buffer: Buffer.allocUnsafe(65536), callback: (n, b) => onClientBytes(b.subarray(0, n)) } });
  client.setNoDelay(true);
  const upstream = net.connect({
    ...upstreamAddress,
    onread: {
      buffer: Buffer.allocUnsafe(65536),
      callback(n, b) {
        if (!awaitingHead) {
          responseBodyLeft -= n;
          write(client, Buffer.from(b.subarray(0, n)));
        } else {
          const end = headEnd(b, n);
          if (end === -1) return void client.destroy();
          const { head, length } = rebuild(b, end, RESPONSE_DROP);
          const body = b.subarray(end, n);
          responseBodyLeft = length - body.length;
          write(client, joined(`${head}X-Request-Id: ${++requestIds}\r\n\r\n`, body));
        }
        awaitingHead = responseBodyLeft <= 0;
      },
    },
  });
  const peer = client.remoteAddress;
  function onClientBytes(b) {
    if (requestBodyLeft > 0) {
      requestBodyLeft -= b.length;
      return write(upstream, Buffer.from(b));
    }
    const end = headEnd(b, b.length);
    if (end === -1) return void client.destroy();
    const { head, length, host } = rebuild(b, end, REQUEST_DROP);
    const body = b.subarray(end);
    requestBodyLeft = length - body.length;
    write(upstream, joined(`${head}X-Forwarded-For: ${peer}\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ${host}\r\n\r\n`, body));
  }
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.resume();
});
server.listen(Number(values.port), values.host, () => {
  console.log(`raw-node-proxy on http://${values.host}:${values.port} -> ${values.target}`);
});
process.on('SIGTERM', () => process.exit(0));
