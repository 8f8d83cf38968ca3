// node:http2 client helpers for the HTTP/2 tests: one request on a session, or a session to
// reuse. Resolves { status, headers, body: Buffer, trailers }.
import http2 from 'node:http2';
import { SNI_CA } from '../tls/tls-helpers.mjs';

/** A session to the proxy: h2c on `port`, or TLS (ALPN h2, SNI a.test) when `tls` is set. */
export function session(port, { tls = false } = {}) {
  const client = tls
    ? http2.connect(`https://127.0.0.1:${port}`, { ca: SNI_CA, servername: 'a.test' })
    : http2.connect(`http://127.0.0.1:${port}`);
  client.on('error', () => {});
  return client;
}

/** One request on `client`; `headers` may set :method, :path, :authority and fields. */
export function h2request(client, headers, body) {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':path': '/', ...headers }, { endStream: body === undefined });
    const chunks = [];
    let head;
    let trailers;
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve({ status: head?.[':status'], headers: head, body: Buffer.concat(chunks), trailers }));
    req.on('error', reject);
    if (body !== undefined) {
      if (Array.isArray(body)) {
        for (const part of body) req.write(part);
        req.end();
      } else req.end(body);
    }
  });
}

/** Opens a session, sends one request, closes the session. */
export async function h2once(port, headers, body, options) {
  const client = session(port, options);
  try {
    return await h2request(client, headers, body);
  } finally {
    client.close();
  }
}
