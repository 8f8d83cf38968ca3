/**
 * Reads the server name (SNI) and the ALPN protocols from a TLS ClientHello before the
 * handshake, so the TLS socket is created with exactly one certificate, chosen here.
 *
 * Why not Node's SNICallback: Node adds the SNI context's certificate to the connection's
 * default one instead of replacing it, so with an RSA certificate and an ECDSA one the default's
 * key type can win and the client gets the wrong certificate (nodejs/node#54235). And a
 * TLS-ALPN-01 validation (RFC 8737 §3) must get the challenge certificate when, and only when,
 * it offers `acme-tls/1`, which Node cannot tell at SNI time (under TLS 1.2 the certificate
 * callback runs before ALPN).
 *
 * Layout (RFC 8446 §5.1 record, §4.1.2 ClientHello, §4.2 extensions; RFC 6066 §3 server_name;
 * RFC 7301 §3.1 application_layer_protocol_negotiation). Only a ClientHello that fits in its
 * first record is read (any real client's does: a record holds 16 KiB); anything else is
 * `other`, and the connection falls back to Node's SNICallback.
 */
import type { Socket } from 'node:net';

export type ClientHelloPeek =
  | { readonly kind: 'incomplete'; readonly need: number }
  | { readonly kind: 'other' }
  | { readonly kind: 'hello'; readonly serverName: string | undefined; readonly alpn: readonly string[] };

const OTHER: ClientHelloPeek = { kind: 'other' };
const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;

/** Parses the start of a connection; `incomplete` says how many bytes the first record needs. */
export function peekClientHello(buf: Buffer): ClientHelloPeek {
  if (buf.length < 5) return { kind: 'incomplete', need: 5 };
  if (buf[0] !== RECORD_HANDSHAKE) return OTHER;
  const recordEnd = 5 + buf.readUInt16BE(3);
  if (buf.length < recordEnd) return { kind: 'incomplete', need: recordEnd };
  if (recordEnd < 9 || buf[5] !== HANDSHAKE_CLIENT_HELLO) return OTHER;
  const helloEnd = 9 + buf.readUIntBE(6, 3);
  if (helloEnd > recordEnd) return OTHER; // fragmented over records: not what a validation sends
  try {
    return readHello(buf, 9, helloEnd);
  } catch {
    return OTHER; // out of bounds: malformed; the TLS stack will refuse it properly
  }
}

function readHello(buf: Buffer, start: number, end: number): ClientHelloPeek {
  let p = start + 2 + 32; // legacy_version, random
  p += 1 + buf[p]!; // legacy_session_id
  p += 2 + buf.readUInt16BE(p); // cipher_suites
  p += 1 + buf[p]!; // legacy_compression_methods
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (p + 2 > end) return { kind: 'hello', serverName, alpn };
  const extEnd = p + 2 + buf.readUInt16BE(p);
  if (extEnd > end) return OTHER;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    const body = p + 4;
    p = body + len;
    if (p > extEnd) return OTHER;
    if (type === EXT_SERVER_NAME && len >= 5) {
      // server_name_list: name_type (0 = host_name), length, name
      if (buf[body + 2] === 0) {
        const nameLen = buf.readUInt16BE(body + 3);
        if (body + 5 + nameLen <= p) serverName = buf.toString('latin1', body + 5, body + 5 + nameLen);
      }
    } else if (type === EXT_ALPN && len >= 2) {
      const listEnd = Math.min(p, body + 2 + buf.readUInt16BE(body));
      let q = body + 2;
      while (q < listEnd) {
        const n = buf[q]!;
        if (q + 1 + n > listEnd) break;
        alpn.push(buf.toString('latin1', q + 1, q + 1 + n));
        q += 1 + n;
      }
    }
  }
  return { kind: 'hello', serverName, alpn };
}

/** A ClientHello larger than one TLS record is not read (RFC 8446 §5.1: 2^14 bytes per record). */
const MAX_PEEK_BYTES = 5 + 16_384;

/**
 * Reads the first record of `socket`, then puts the bytes back (`unshift`) for the TLS layer and
 * calls `done` once: with what was found, or with `undefined` when the client went away or sent
 * nothing within `timeoutMs` (the socket is then destroyed).
 */
export function readClientHello(socket: Socket, timeoutMs: number, done: (hello: ClientHelloPeek | undefined) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const finish = (hello: ClientHelloPeek | undefined): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onGone);
    socket.removeListener('close', onGone);
    socket.removeListener('error', onGone);
    if (hello === undefined) socket.destroy();
    else {
      socket.pause();
      socket.unshift(buffered);
    }
    done(hello);
  };
  const onGone = (): void => finish(undefined);
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const hello = peekClientHello(buffered);
    if (hello.kind !== 'incomplete') finish(hello);
    else if (buffered.length >= MAX_PEEK_BYTES) finish(OTHER);
  };
  const timer = setTimeout(onGone, timeoutMs);
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('close', onGone);
  socket.on('error', onGone);
}
