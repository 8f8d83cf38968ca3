// Hand-built HTTP/2 frames (RFC 9113 §4, §6) and a minimal HPACK encoder (RFC 7541) for raw
// tests: every header field is sent as a "literal without indexing, new name" (§6.2.2), which
// needs no table and no Huffman coding, so any byte sequence can be sent, invalid ones included.
// A small reader splits what the proxy sends back into frames (HPACK is not decoded: tests
// look at frame types, flags, stream ids and error codes, which need no decoding).
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const TYPE = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 };
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 };
export const ERROR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 };

/** One frame: 9-byte header (length, type, flags, stream id) and the payload. */
export function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1), first byte ORed with `mask`. */
function integer(value, prefixBits, mask) {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [mask | value];
  const out = [mask | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A header block: [[name, value], ...], each a literal without indexing with a literal name. */
export function hpack(fields) {
  const parts = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), Buffer.from(integer(n.length, 7, 0)), n, Buffer.from(integer(v.length, 7, 0)), v);
  }
  return Buffer.concat(parts);
}

export const settings = (pairs = [], ack = false) => {
  const p = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(TYPE.SETTINGS, ack ? FLAG.ACK : 0, 0, p);
};
export const headers = (streamId, fields, { endStream = true, endHeaders = true } = {}) =>
  frame(TYPE.HEADERS, (endStream ? FLAG.END_STREAM : 0) | (endHeaders ? FLAG.END_HEADERS : 0), streamId, hpack(fields));
export const data = (streamId, bytes, endStream = true) => frame(TYPE.DATA, endStream ? FLAG.END_STREAM : 0, streamId, Buffer.from(bytes));
export const rstStream = (streamId, code = ERROR.CANCEL) => {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(TYPE.RST_STREAM, 0, streamId, p);
};
export const ping = (ack = false) => frame(TYPE.PING, ack ? FLAG.ACK : 0, 0, Buffer.alloc(8));
export const windowUpdate = (streamId, increment) => {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment);
  return frame(TYPE.WINDOW_UPDATE, 0, streamId, p);
};

/** The usual request pseudo-headers for GET `path` on `authority`. */
export const get = (path = '/', authority = 'example.test', extra = []) => [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':authority', authority],
  [':path', path],
  ...extra,
];

/**
 * A raw HTTP/2 client connection (h2c prior knowledge, or TLS with ALPN h2 when `tls` is set).
 * Sends the preface and an empty SETTINGS; collects every frame received in `frames`.
 */
export async function connectRaw(port, { secure = false, ca, servername = 'a.test' } = {}) {
  const socket = secure
    ? tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2'] })
    : net.connect(port, '127.0.0.1');
  await once(socket, secure ? 'secureConnect' : 'connect');
  const conn = { socket, frames: [], closed: false, buffer: Buffer.alloc(0) };
  socket.on('data', (d) => {
    conn.buffer = Buffer.concat([conn.buffer, d]);
    while (conn.buffer.length >= 9) {
      const len = conn.buffer.readUIntBE(0, 3);
      if (conn.buffer.length < 9 + len) break;
      const f = { type: conn.buffer[3], flags: conn.buffer[4], streamId: conn.buffer.readUInt32BE(5) & 0x7fffffff, payload: conn.buffer.subarray(9, 9 + len) };
      conn.frames.push(f);
      conn.buffer = conn.buffer.subarray(9 + len);
    }
  });
  socket.on('close', () => (conn.closed = true));
  socket.on('error', () => {});
  socket.write(Buffer.concat([PREFACE, settings()]));
  conn.send = (...bufs) => {
    if (!socket.destroyed) socket.write(Buffer.concat(bufs));
  };
  /** Waits until `predicate(frames)` is true or the connection closes; false on timeout. */
  conn.until = async (predicate, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (predicate(conn.frames)) return true;
      if (conn.closed) return predicate(conn.frames);
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  };
  conn.goaway = () => {
    const f = conn.frames.find((x) => x.type === TYPE.GOAWAY);
    return f === undefined ? undefined : { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
  };
  conn.reset = (streamId) => {
    const f = conn.frames.find((x) => x.type === TYPE.RST_STREAM && x.streamId === streamId);
    return f === undefined ? undefined : f.payload.readUInt32BE(0);
  };
  /** The :status of the first HEADERS on `streamId` (static-table indexed or literal), or undefined. */
  conn.status = (streamId) => {
    const f = conn.frames.find((x) => x.type === TYPE.HEADERS && x.streamId === streamId);
    return f === undefined ? undefined : statusOf(f.payload);
  };
  conn.close = () => socket.destroy();
  return conn;
}

/** Reads :status from the start of a response header block (nghttp2 sends it first). */
function statusOf(block) {
  const b = block[0];
  // Indexed field (§6.1): static entries 8-14 are :status 200, 204, 206, 304, 400, 404, 500.
  const STATIC = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
  if (b & 0x80) return STATIC[b & 0x7f];
  // Literal with indexed name (:status is static index 8..14): value follows, 3 digits, maybe Huffman.
  const index = b & 0x40 ? b & 0x3f : b & 0x0f;
  if (index >= 8 && index <= 14) {
    const lenByte = block[1];
    const huffman = (lenByte & 0x80) !== 0;
    const len = lenByte & 0x7f;
    const value = block.subarray(2, 2 + len);
    return huffman ? decodeHuffmanDigits(value) : Number(value.toString('latin1'));
  }
  return undefined;
}

/** Huffman-coded digits (RFC 7541 Appendix B: '0'-'2' are 5 bits, '3'-'9' 6 bits). */
function decodeHuffmanDigits(bytes) {
  const CODES = { '00000': '0', '00001': '1', '00010': '2', '011001': '3', '011010': '4', '011011': '5', '011100': '6', '011101': '7', '011110': '8', '011111': '9' };
  const bits = [...bytes].map((x) => x.toString(2).padStart(8, '0')).join('');
  let out = '';
  let cur = '';
  for (const bit of bits) {
    cur += bit;
    if (CODES[cur] !== undefined) {
      out += CODES[cur];
      cur = '';
      if (out.length === 3) break;
    }
  }
  return Number(out);
}
