/**
 * Writes held to the end of the event loop's turn and sent together, one socket after another.
 *
 * A proxy's writes wake its peers: the client waiting for a response, the origin waiting for a
 * request. Written the moment each is ready, they are spread over the whole I/O phase, and a
 * peer on another core may have gone back to sleep between two of them, so many writes pay for
 * a wake-up (an inter-processor interrupt in a VM). Held until the I/O callbacks of this turn are
 * done (`setImmediate`: the check phase, before the loop waits again) and then sent back to back,
 * they find the peers awake, and the peers take them in batches. Paired A/B, 12 B GETs through
 * one core (docs/benchmarks.md, session 6): 1.11× the requests/s at 0.91× the CPU per request.
 * The delay is the rest of one turn; nothing waits for a timer or for more data.
 *
 * Only bytes the proxy owns are held: heads built as strings, body chunks of up to 16 KiB
 * copied behind them into the turn's arena (write-joined.ts, copySpace). Bytes that are slices
 * of a read buffer (the zero-copy relay of larger chunks) must be sent at once: while they sit
 * in a socket's queue their buffer cannot be reused, and holding them would make every read
 * allocate a fresh one. `sendHeldNow` after such a write sends the held bytes with them, in
 * order, in one writev. So a held socket's queue holds only owned bytes, which is what
 * `unsentShared` and the arena's reuse rely on.
 *
 * Holding is Writable's cork: ordering is the stream's, `end()` uncorks (a close never loses
 * held bytes), and `write()` still reports backpressure.
 */
import type { Socket } from 'node:net';

const held: Socket[] = [];
let scheduled = false;

/**
 * Where copies written to held sockets are made (copySpace): one buffer, used from the start
 * again once every socket it was written to has handed everything to the kernel, so a copy
 * costs no allocation. If any held socket still queues bytes at the end of the turn, they may
 * lie in the arena: it is left to them (and the GC) and the next copy starts a new one.
 */
const ARENA_SIZE = 1024 * 1024;
let arena: Buffer | null = null;
let arenaUsed = 0;

function sendAllHeld(): void {
  scheduled = false;
  // A socket sent early and held again this turn is listed twice: the second finds it uncorked.
  for (let i = 0; i < held.length; i++) {
    const socket = held[i]!;
    if (socket.writableCorked !== 0) socket.uncork();
  }
  if (arenaUsed !== 0) {
    // Every socket that took arena bytes is listed (copySpace serves held sockets only).
    let allSent = true;
    for (let i = 0; i < held.length && allSent; i++) allSent = held[i]!.writableLength === 0;
    if (!allSent) arena = null;
    arenaUsed = 0;
  }
  held.length = 0;
}

/**
 * `length` bytes to fill and write to `socket` this turn, from the turn's arena; null when the
 * socket is not held (its bytes may outlast the turn) or the copy is larger than an arena.
 */
export function copySpace(socket: Socket, length: number): Buffer | null {
  if (socket.writableCorked === 0 || length > ARENA_SIZE) return null;
  if (arena === null || arenaUsed + length > arena.length) {
    // A full arena is left to the writes that reference it.
    arena = Buffer.allocUnsafeSlow(ARENA_SIZE);
    arenaUsed = 0;
  }
  const out = arena.subarray(arenaUsed, arenaUsed + length);
  arenaUsed += length;
  return out;
}

/**
 * Holds `socket`'s writes until the end of this turn. Not when bytes are already queued (the
 * peer is not taking them: holding gains nothing, and they may be shared slices).
 */
export function holdForTurn(socket: Socket): void {
  if (socket.writableCorked !== 0 || socket.writableLength !== 0) return;
  socket.cork();
  held.push(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(sendAllHeld);
  }
}

/** Sends what `socket` holds now (after writing a slice that must not wait). */
export function sendHeldNow(socket: Socket): void {
  if (socket.writableCorked !== 0) socket.uncork();
}

/** A latin1 string (a head, a chunk-size line, a trailer section), held to the end of the turn. */
export function writeHeld(socket: Socket, text: string): boolean {
  holdForTurn(socket);
  return socket.write(text, 'latin1');
}

/** A slice of a buffer the caller will reuse: sent now, behind anything held. */
export function writeShared(socket: Socket, chunk: Buffer): boolean {
  const ok = socket.write(chunk);
  sendHeldNow(socket);
  return ok;
}

/**
 * Bytes queued on `socket` that may still reference a caller's buffer: none while it is held
 * (a held socket queues only owned bytes, see above), else everything not yet sent.
 */
export function unsentShared(socket: Socket): number {
  return socket.writableCorked !== 0 ? 0 : socket.writableLength;
}
