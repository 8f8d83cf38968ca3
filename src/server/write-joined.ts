/**
 * One write for `before` + `chunk` + `after` (latin1 strings around a body chunk): small
 * chunks are copied behind the strings into one buffer, larger ones go out by writev without
 * copying. Used wherever a head or a chunk-size line travels with body bytes, so they leave in
 * one syscall (and one TCP segment) instead of several. A copy is held to the end of the turn
 * with the socket's other writes; a chunk sent by reference goes at once (turn-writes.ts).
 */
import type { Socket } from 'node:net';
import { holdForTurn, sendHeldNow } from './turn-writes.js';

/** Up to this size a chunk is copied (it fits Node's buffer pool, cheaper than writev); above, writev. */
const COPY_LIMIT = 2 * 1024;

export function writeJoined(socket: Socket, before: string, chunk: Buffer, after: string): boolean {
  if (chunk.length > COPY_LIMIT) {
    socket.cork();
    if (before !== '') socket.write(before, 'latin1');
    let ok = socket.write(chunk);
    if (after !== '') ok = socket.write(after, 'latin1');
    socket.uncork();
    sendHeldNow(socket);
    return ok;
  }
  const out = Buffer.allocUnsafe(before.length + chunk.length + after.length);
  if (before !== '') out.write(before, 0, 'latin1');
  chunk.copy(out, before.length);
  if (after !== '') out.write(after, before.length + chunk.length, 'latin1');
  holdForTurn(socket);
  return socket.write(out);
}
