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
import type { Socket } from 'node:net';
import { socketHandle } from './llhttp.js';

export interface ReadBufferOwner {
  /** Where the next read lands; the owner replaces it while a slice of it may be referenced. */
  readonly readBuffer: Buffer;
  /** A read of `nread` bytes into `buffer` (the owner's readBuffer at the time of the read); called unbound. */
  readonly onRead: (nread: number, buffer: Buffer) => void;
}

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

/** net.Socket's private fields behind `onread` (found by name on the first socket; null if absent). */
let fields: OnreadFields | null | undefined;

function onreadFields(socket: Socket): OnreadFields | null {
  if (fields !== undefined) return fields;
  const byName = new Map(Object.getOwnPropertySymbols(socket).map((s) => [s.description, s]));
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  fields = buffer && callback && generator ? { buffer, callback, generator } : null;
  return fields;
}

/**
 * Makes `socket`'s reads land in `owner.readBuffer` and go to `owner.onRead`. Returns false
 * (and changes nothing) where that is not possible: TLS sockets (decrypted bytes come from
 * the TLS layer) and a Node whose net.Socket lacks the fields; the caller then listens for
 * 'data'. Call it before the socket's first read (in the tick that accepted it).
 */
export function useOwnReadBuffer(socket: Socket, owner: ReadBufferOwner): boolean {
  if ('encrypted' in socket) return false;
  const handle = socketHandle(socket) as { useUserBuffer?: (buffer: Uint8Array) => void } | undefined;
  if (handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  const f = onreadFields(socket);
  if (f === null) return false;
  const s = socket as unknown as Record<symbol, unknown>;
  s[f.buffer] = owner.readBuffer;
  // Asked after every read for the buffer of the next one (net.Socket's onStreamRead).
  s[f.generator] = () => owner.readBuffer;
  // Called as is (no wrapper frame per read); any return but false keeps reading.
  s[f.callback] = owner.onRead;
  handle.useUserBuffer(owner.readBuffer);
  return true;
}
