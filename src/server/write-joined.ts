/**
 * One write for `before` + `chunk` + `after` (latin1 strings around a body chunk): small
 * chunks are copied behind the strings into one buffer (from the turn's arena when the socket
 * is held, else from Node's pool), larger ones go out by writev without copying. Used wherever
 * a head or a chunk-size line travels with body bytes, so they leave in one syscall (and one
 * TCP segment) instead of several. A copy is held to the end of the turn with the socket's
 * other writes; a chunk sent by reference goes at once (turn-writes.ts).
 */
import type { Socket } from 'node:net';
import { copySpace, holdForTurn, writeHeld, writeSharedNow } from './turn-writes.js';

/** Up to this size a chunk is copied into Node's buffer pool (cheaper than writev); above, writev. */
const POOL_COPY_LIMIT = 2 * 1024;
/**
 * Up to this size a chunk is copied into the turn's arena when the socket is held
 * (turn-writes.ts): a copy is cheap there (no allocation), and a copy can wait for the end of
 * the turn where a slice of a read buffer cannot. A 10 KiB POST's body is the case.
 */
const ARENA_COPY_LIMIT = 16 * 1024;

export function writeJoined(socket: Socket, before: string, chunk: Buffer, after: string): boolean {
  if (chunk.length <= ARENA_COPY_LIMIT) {
    const length = before.length + chunk.length + after.length;
    holdForTurn(socket);
    const out = copySpace(socket, length) ?? (chunk.length <= POOL_COPY_LIMIT ? Buffer.allocUnsafe(length) : null);
    if (out !== null) {
      if (before !== '') out.write(before, 0, 'latin1');
      chunk.copy(out, before.length);
      if (after !== '') out.write(after, before.length + chunk.length, 'latin1');
      return writeHeld(socket, out);
    }
  }
  return writeSharedNow(socket, before, chunk, after);
}
