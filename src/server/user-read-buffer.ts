/**
 * Reads of an accepted plain-TCP socket into a Buffer its connection owns and reuses, the way
 * `net.connect({ onread })` does for client sockets (the upstream pool uses that public
 * option). A server socket cannot be given `onread`, so the same three fields net.Socket keeps
 * for it are set on the accepted socket: then every read lands in the connection's buffer and
 * is handed to its callback, with no Buffer made per read and no stream machinery. Request
 * bodies are relayed as slices of that buffer (http1-connection.ts), where llhttp would copy
 * every body chunk into fresh external memory and call into JS for each (10 KiB POSTs: 1.2×
 * the requests/s, docs/benchmarks.md, session 4).
 */
import { Socket } from 'node:net';
import { socketHandle } from './llhttp.js';

export interface ReadBufferOwner {
  /** Where reads land; the owner replaces it (freshReadBuffer) while a slice of it may be referenced. */
  readonly readBuffer: Buffer;
  /** A read of `nread` bytes into `buffer` (the owner's readBuffer at the time of the read); called unbound. */
  readonly onRead: (nread: number, buffer: Buffer) => void;
}

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** net.Socket's private fields behind `onread`, found by name (null on a Node without them). */
const fields: OnreadFields | null = (() => {
  const byName = new Map(Object.getOwnPropertySymbols(new Socket()).map((s) => [s.description, s]));
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  return buffer && callback && generator ? { buffer, callback, generator } : null;
})();

/**
 * Whether a socket's read buffer can be replaced from inside its read callback (freshReadBuffer).
 * Where it cannot, a socket made with `net.connect({ onread })` is given a function instead,
 * asked for the buffer after every read.
 */
export const replaceableReadBuffer = fields !== null;

/**
 * Makes `socket`'s reads land in `owner.readBuffer` and go to `owner.onRead`. Returns false
 * (and changes nothing) where that is not possible: TLS sockets (decrypted bytes come from
 * the TLS layer) and a Node whose net.Socket lacks the fields; the caller then listens for
 * 'data'. Call it before the socket's first read (in the tick that accepted it).
 */
export function useOwnReadBuffer(socket: Socket, owner: ReadBufferOwner): boolean {
  if ('encrypted' in socket || fields === null) return false;
  const handle = socketHandle(socket) as { useUserBuffer?: (buffer: Uint8Array) => void } | undefined;
  if (handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  const s = socket as unknown as Record<symbol, unknown>;
  s[fields.buffer] = owner.readBuffer;
  // No function asked for the next buffer after every read (net.Socket's onStreamRead calls
  // it, and handing a buffer back to C++ costs a lookup of its memory): the same buffer serves
  // until the owner replaces it with freshReadBuffer.
  s[fields.generator] = null;
  // Called as is (no wrapper frame per read); any return but false keeps reading.
  s[fields.callback] = owner.onRead;
  handle.useUserBuffer(owner.readBuffer);
  return true;
}

/**
 * From inside `socket`'s read callback: a new buffer of `size` bytes, where the reads after this
 * one land (the last read's buffer may still be referenced). net.Socket asks for the next
 * buffer right after the callback returns; the function set here answers once and is removed.
 */
export function freshReadBuffer(socket: Socket, size: number): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size);
  if (fields !== null) {
    const s = socket as unknown as Record<symbol, unknown>;
    const generator = fields.generator;
    s[generator] = (): Buffer => {
      s[generator] = null;
      return buffer;
    };
  }
  return buffer;
}
