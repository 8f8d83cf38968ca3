// Idle-connection memory probe.
//
// Opens N keep-alive connections to a proxy (default 1,000), sends one GET on each and
// reads the whole response, then leaves every connection open and idle. After a short
// settle time it reads VmRSS from /proc/<pid>/status of the proxy (summed over the
// process and its child processes, so an nginx master + worker counts as one) and prints
// it in MiB, next to the RSS measured before the connections were opened.
//
//   node bench/idle-rss.mjs --port 8080 --pid 12345 \
//     [--connections 1000] [--path /small] [--concurrency 50] [--settle-ms 1000] [--json]
//
// The proxy's idle keep-alive timeout must be longer than the time this takes (a few
// seconds); the probe reports how many connections were still open when RSS was read.
// `bench/run.sh idle-rss` starts an origin and the proxies with long enough timeouts.
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    pid: { type: 'string' },
    connections: { type: 'string', default: '1000' },
    path: { type: 'string', default: '/small' },
    concurrency: { type: 'string', default: '50' },
    'settle-ms': { type: 'string', default: '1000' },
    'timeout-ms': { type: 'string', default: '10000' },
    label: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.port || !values.pid) {
  console.error('usage: node bench/idle-rss.mjs --port PORT --pid PID [--connections 1000]');
  process.exit(2);
}
const port = Number(values.port);
const rootPid = Number(values.pid);
const total = Number(values.connections);
const concurrency = Math.max(1, Number(values.concurrency));
const timeoutMs = Number(values['timeout-ms']);

/** The process and all its descendants (nginx master + workers, a supervisor + workers). */
function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let children = '';
    try {
      for (const tid of fs.readdirSync(`/proc/${out[i]}/task`)) {
        children += ' ' + fs.readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8');
      }
    } catch {
      /* process gone or no children file */
    }
    for (const c of children.split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

function rssKiB(pid) {
  let sum = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
    } catch {
      /* exited meanwhile */
    }
  }
  return sum;
}

const request = Buffer.from(`GET ${values.path} HTTP/1.1\r\nHost: ${values.host}:${port}\r\n\r\n`);

/** Resolves with the socket once one full response has been read on it. */
function oneRequest() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, values.host);
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => fail(new Error('timeout waiting for response')), timeoutMs);
    const fail = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed before a full response')));
    socket.on('data', (chunk) => {
      if (done) return;
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.slice(9, 12));
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
      const body = buf.subarray(end + 4);
      let complete;
      if (len) complete = body.length >= Number(len[1]);
      else if (chunked) complete = body.length >= 5 && body.subarray(-5).toString() === '0\r\n\r\n';
      else complete = false; // close-delimited: not a keep-alive connection
      if (!complete) return;
      done = true;
      clearTimeout(timer);
      if (status !== 200) {
        socket.destroy();
        reject(new Error(`status ${status}`));
        return;
      }
      if (/\r\nconnection:\s*close/i.test(head)) {
        socket.destroy();
        reject(new Error('server answered Connection: close'));
        return;
      }
      socket.removeAllListeners('data');
      resolve(socket);
    });
    socket.write(request);
  });
}

const before = rssKiB(rootPid);
if (before === 0) {
  console.error(`no process ${rootPid} (cannot read /proc/${rootPid}/status)`);
  process.exit(1);
}

const sockets = [];
let closedEarly = 0;
const t0 = Date.now();
for (let opened = 0; opened < total; ) {
  const batch = Math.min(concurrency, total - opened);
  const results = await Promise.allSettled(Array.from({ length: batch }, oneRequest));
  for (const r of results) {
    if (r.status === 'rejected') {
      console.error(`idle-rss: a connection failed: ${r.reason.message}`);
      for (const s of sockets) s.destroy();
      process.exit(1);
    }
    const s = r.value;
    s.on('close', () => closedEarly++);
    s.on('error', () => {});
    sockets.push(s);
  }
  opened += batch;
}
const openMs = Date.now() - t0;
await sleep(Number(values['settle-ms']));
const after = rssKiB(rootPid);
const stillOpen = sockets.length - closedEarly;
for (const s of sockets) s.destroy();

const mib = (kib) => (kib / 1024).toFixed(1);
const perConn = ((after - before) / total).toFixed(1);
const result = {
  label: values.label,
  connections: total,
  stillOpen,
  rssBeforeMiB: Number(mib(before)),
  rssAfterMiB: Number(mib(after)),
  perConnectionKiB: Number(perConn),
  openMs,
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const who = values.label ? `${values.label}: ` : '';
  console.log(
    `${who}RSS ${mib(after)} MiB with ${stillOpen}/${total} idle keep-alive connections open ` +
      `(${mib(before)} MiB before; +${perConn} KiB per connection; opened in ${openMs} ms)`,
  );
}
if (stillOpen < total) {
  console.error(`warning: ${total - stillOpen} connections were closed by the server before RSS was read`);
  process.exitCode = 3;
}
