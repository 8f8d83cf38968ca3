// gRPC passthrough end to end with @grpc/grpc-js on both sides: client → Barbican (h2c, or TLS
// with ALPN h2) → origin over HTTP/2 (h2c, or TLS). Unary, server-streaming, client-streaming
// and bidi calls, metadata, and an error status carried in the trailers (grpc-status,
// grpc-message). The service is defined without .proto files (JSON messages).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import grpc from '@grpc/grpc-js';
import { startProxy } from '../helpers.mjs';
import { SNI_CERTIFICATES, SNI_CA, ORIGIN_CA, fixture } from '../tls/tls-helpers.mjs';

const json = { serialize: (o) => Buffer.from(JSON.stringify(o)), deserialize: (b) => JSON.parse(b.toString()) };
const method = (name, requestStream, responseStream) => ({
  path: `/barbican.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const SERVICE = {
  unary: method('Unary', false, false),
  fail: method('Fail', false, false),
  list: method('List', false, true),
  sum: method('Sum', true, false),
  chat: method('Chat', true, true),
};
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');

const IMPLEMENTATION = {
  unary(call, cb) {
    cb(null, { echo: call.request.text, user: call.metadata.get('x-user')[0] ?? null, authority: call.getPath() });
  },
  fail(_call, cb) {
    const md = new grpc.Metadata();
    md.set('x-why', 'because');
    cb({ code: grpc.status.NOT_FOUND, details: 'no such thing', metadata: md });
  },
  list(call) {
    for (let i = 0; i < call.request.count; i++) call.write({ i });
    call.end();
  },
  sum(call, cb) {
    let total = 0;
    call.on('data', (m) => (total += m.n));
    call.on('end', () => cb(null, { total }));
  },
  chat(call) {
    call.on('data', (m) => call.write({ reply: m.text.toUpperCase() }));
    call.on('end', () => call.end());
  },
};

async function startGrpcOrigin(credentials) {
  const server = new grpc.Server();
  server.addService(SERVICE, IMPLEMENTATION);
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return { port, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

const unary = (client, name, request, metadata = new grpc.Metadata()) =>
  new Promise((resolve, reject) => client[name](request, metadata, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))));

async function exercise(client) {
  const md = new grpc.Metadata();
  md.set('x-user', 'alice');
  const one = await unary(client, 'unary', { text: 'hello' }, md);
  assert.equal(one.echo, 'hello');
  assert.equal(one.user, 'alice');

  const items = [];
  await new Promise((resolve, reject) => {
    const call = client.list({ count: 50 });
    call.on('data', (m) => items.push(m.i));
    call.on('end', resolve);
    call.on('error', reject);
  });
  assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => i));

  const total = await new Promise((resolve, reject) => {
    const call = client.sum((err, res) => (err ? reject(err) : resolve(res.total)));
    for (let n = 1; n <= 100; n++) call.write({ n });
    call.end();
  });
  assert.equal(total, 5050);

  const replies = [];
  await new Promise((resolve, reject) => {
    const call = client.chat();
    call.on('data', (m) => {
      replies.push(m.reply);
      // Ping-pong: the next message goes only after the reply came back through the proxy.
      if (replies.length < 5) call.write({ text: `msg${replies.length}` });
      else call.end();
    });
    call.on('end', resolve);
    call.on('error', reject);
    call.write({ text: 'msg0' });
  });
  assert.deepEqual(replies, ['MSG0', 'MSG1', 'MSG2', 'MSG3', 'MSG4']);

  await assert.rejects(unary(client, 'fail', {}), (err) => {
    assert.equal(err.code, grpc.status.NOT_FOUND, err.details);
    assert.equal(err.details, 'no such thing');
    assert.equal(err.metadata.get('x-why')[0], 'because');
    return true;
  });
}

describe('gRPC through Barbican', () => {
  let plainOrigin;
  let tlsOrigin;
  let proxy;

  before(async () => {
    plainOrigin = await startGrpcOrigin(grpc.ServerCredentials.createInsecure());
    tlsOrigin = await startGrpcOrigin(
      grpc.ServerCredentials.createSsl(null, [{ private_key: readFileSync(fixture('origin.key')), cert_chain: readFileSync(fixture('origin.pem')) }]),
    );
    proxy = await startProxy({
      listeners: [
        { name: 'web', address: '127.0.0.1:0', h2c: true },
        { name: 'tls', address: '127.0.0.1:0', http2: true, tls: { certificates: SNI_CERTIFICATES } },
      ],
      upstreams: {
        h2c: { protocol: 'http2', targets: [{ url: `http://127.0.0.1:${plainOrigin.port}` }] },
        h2: { protocol: 'http2', targets: [{ url: `https://127.0.0.1:${tlsOrigin.port}` }], tls: { caFile: fixture('ca.pem') } },
      },
      routes: [
        { name: 'via-tls', match: { hosts: ['tls-origin.test'] }, upstream: 'h2' },
        { name: 'grpc', upstream: 'h2c' },
      ],
    });
  });
  after(async () => {
    await proxy?.close();
    await plainOrigin?.close();
    await tlsOrigin?.close();
  });

  it('h2c client → h2c origin: unary, streaming both ways, bidi, error status', async () => {
    const client = new Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
    try {
      await exercise(client);
    } finally {
      client.close();
    }
  });

  it('TLS (ALPN h2) client → h2c origin', async () => {
    const client = new Client(`127.0.0.1:${proxy.ports.tls}`, grpc.credentials.createSsl(SNI_CA), {
      'grpc.ssl_target_name_override': 'a.test',
      'grpc.default_authority': 'a.test',
    });
    try {
      await exercise(client);
    } finally {
      client.close();
    }
  });

  it('h2c client → TLS (h2) origin', async () => {
    const client = new Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'tls-origin.test' });
    try {
      await exercise(client);
    } finally {
      client.close();
    }
  });

  it('logs each call with its gRPC path and HTTP/2.0', async () => {
    const [unaryLine] = await proxy.waitForLog((l) => l.path === '/barbican.test.Echo/Unary');
    assert.ok(unaryLine, 'the unary call is in the access log');
    assert.equal(unaryLine.protocol, 'HTTP/2.0');
    assert.equal(unaryLine.status, 200);
  });
});
