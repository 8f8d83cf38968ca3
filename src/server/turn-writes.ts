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
 * allocate a fresh one. `writeSharedNow` sends the held bytes with them, in order. So what a
 * socket holds is only owned bytes, which is what `unsentShared` and the arena's reuse rely on.
 *
 * How bytes are held. On a plain TCP socket they wait in a list of the socket's own and are
 * written to its native handle directly, one write (or writev) per socket, the way net.Socket
 * writes them itself, but without Writable's machinery for each (its queue, write requests,
 * callbacks): 0.97× the CPU per 12 B request (docs/benchmarks.md, session 9). Ordering stays
 * the stream's: a socket holding bytes sends them first whenever the stream itself writes
 * (`_write`/`_writev`) or ends (`_final`), so `socket.write()` and `end()` from anywhere stay in
 * order and never lose held bytes. When a direct write could not finish at once (the peer is
 * not reading), the socket is not held again until the kernel has taken it: its writes then go
 * through the stream, which reports backpressure as usual. A slice sent at once takes the same
 * direct way when nothing is queued (writeSharedNow); if the kernel takes only part of it, the
 * write returns false and 'drain' follows, as from the stream. Other sockets (TLS), or a Node
 * without the binding, hold with Writable's cork and write slices through the stream.
 */
import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** A write request of Node's stream binding (the object net.Socket makes per write). */
interface WriteReq {
  handle: NativeStream;
  oncomplete: (this: WriteReq, status: number) => void;
  buffer: unknown;
  /** The socket written to and its state (Barbican's own fields). */
  socket: Socket | null;
  held: HeldState | null;
}

/** The write side of a socket's native handle (a StreamBase), as net.Socket uses it. */
interface NativeStream {
  writeLatin1String(req: WriteReq, text: string): number;
  writeBuffer(req: WriteReq, chunk: Buffer): number;
  /** `chunks`: Buffers when `allBuffers`, else alternating value and encoding. */
  writev(req: WriteReq, chunks: readonly (string | Buffer)[], allBuffers: boolean): number;
}

interface StreamBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
  kBytesWritten: number;
}

/** Node's stream binding, the one net.Socket writes through; null where it cannot be had. */
const binding: StreamBinding | null = (() => {
  try {
    // process.binding is deprecated (DEP0111: a warning only under --pending-deprecation) but
    // keeps 'stream_wrap' on its allow-list; it returns any, so the shape is checked here.
    const b = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap === 'function' && b.streamBaseState instanceof Int32Array && typeof b.kLastWriteWasAsync === 'number') return b as StreamBinding;
  } catch {
    // not available: hold with cork
  }
  return null;
})();

/** What a socket holds this turn, and its direct write still in progress. */
class HeldState {
  /** Bytes held this turn, in order; null when not held. */
  list: (string | Buffer)[] | null = null;
  /** Bytes in `list`. */
  bytes = 0;
  /** Bytes of a direct write the kernel has not finished taking (they are in libuv's queue). */
  writing = 0;
  /** A write returned false (HOLD_LIMIT reached): 'drain' is due once what was held is sent. */
  drainDue = false;
}

const kHeld = Symbol('barbican.heldWrites');
type HeldSocket = Socket & { [kHeld]?: HeldState; _handle?: unknown };
/** net.Socket's own write and end, which a held socket's overrides call after sending what it holds. */
interface StreamMethods {
  _write(this: Socket, chunk: unknown, encoding: unknown, callback: unknown): void;
  _writev(this: Socket, chunks: unknown, callback: unknown): void;
  _final(this: Socket, callback: unknown): void;
}
const SOCKET = Socket.prototype as unknown as StreamMethods;
const { _write: socketWrite, _writev: socketWritev, _final: socketFinal } = SOCKET;

/**
 * At this many held bytes a socket's bytes go out at once and the write returns false, as
 * Writable's does past its high-water mark: the writer waits for 'drain', emitted once they are
 * sent (at the end of the turn, or when the kernel has taken them). So a turn holds at most about
 * this much per socket (and the arena is not outgrown by a fast origin's stream of small chunks).
 */
const HOLD_LIMIT = 64 * 1024;

/** Sockets held this turn (swapped with `spare` when sent, so that holds made while sending go to the next turn). */
let held: Socket[] = [];
let spare: Socket[] = [];
let scheduled = false;
/** A direct write this turn did not finish at once: the arena may still be referenced. */
let leftQueued = false;

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
  const sockets = held;
  held = spare;
  // A socket sent early and held again this turn is listed twice: the second finds nothing held.
  for (let i = 0; i < sockets.length; i++) {
    const socket = sockets[i]! as HeldSocket;
    const state = socket[kHeld];
    if (state !== undefined && state.list !== null) flush(socket, state);
    else if (socket.writableCorked !== 0) socket.uncork();
  }
  if (arenaUsed !== 0) {
    // Every socket that took arena bytes is listed (copySpace serves held sockets only).
    let allSent = !leftQueued;
    for (let i = 0; i < sockets.length && allSent; i++) allSent = sockets[i]!.writableLength === 0;
    if (!allSent) arena = null;
    arenaUsed = 0;
  }
  leftQueued = false;
  // Last: a 'drain' listener may write at once, and what it holds belongs to the next turn.
  for (let i = 0; i < sockets.length; i++) {
    const state = (sockets[i]! as HeldSocket)[kHeld];
    if (state !== undefined && state.drainDue && state.writing === 0) emitDrain(sockets[i]!, state);
  }
  sockets.length = 0;
  spare = sockets;
}

function schedule(socket: Socket): void {
  held.push(socket);
  if (!scheduled) {
    scheduled = true;
    setImmediate(sendAllHeld);
  }
}

/** A direct write that went on after the call (async) is done. */
function afterDirectWrite(this: WriteReq, status: number): void {
  const socket = this.socket!;
  const state = this.held!;
  state.writing = 0;
  this.buffer = null;
  this.socket = null;
  // A failed write (the peer reset the connection): the socket's error handler takes it, as
  // when net.Socket's own write fails.
  if (status < 0) {
    if (!socket.destroyed) socket.destroy(writeError(status));
  } else if (state.drainDue) emitDrain(socket, state);
}

function emitDrain(socket: Socket, state: HeldState): void {
  state.drainDue = false;
  if (!socket.destroyed) socket.emit('drain');
}

function writeError(status: number): NodeJS.ErrnoException {
  const code = status < 0 ? getSystemErrorName(status) : 'EIO';
  const err: NodeJS.ErrnoException = new Error(`write ${code}`);
  err.code = code;
  err.errno = status;
  err.syscall = 'write';
  return err;
}

/**
 * A write request no write is using. Node's stream binding binds a request to a native write
 * only when the kernel does not take everything at once (StreamBase::Write tries the write
 * first); a write that finished in the call leaves its request untouched, so the next write can
 * use it instead of constructing one, a call into C++ each (1.02–1.04× on 12 B GETs,
 * docs/benchmarks.md, session 11).
 */
let spareReq: WriteReq | null = null;

/** Writes what `socket` holds to its handle, in one write. */
function flush(socket: HeldSocket, state: HeldState): void {
  const list = state.list!;
  state.list = null;
  state.bytes = 0;
  if (list.length === 0 || socket.destroyed) return;
  const handle = socket._handle as NativeStream | null | undefined;
  if (handle === null || handle === undefined) return; // closed: nothing can be sent (as with cork)
  const b = binding!;
  const req = spareReq ?? new b.WriteWrap();
  spareReq = null;
  req.handle = handle;
  req.oncomplete = afterDirectWrite;
  req.buffer = list; // referenced until the kernel has it all
  req.socket = socket;
  req.held = state;
  let err: number;
  if (list.length === 1) {
    const only = list[0]!;
    err = typeof only === 'string' ? handle.writeLatin1String(req, only) : handle.writeBuffer(req, only);
  } else {
    let allBuffers = true;
    for (let i = 0; i < list.length && allBuffers; i++) allBuffers = typeof list[i] !== 'string';
    let chunks: (string | Buffer)[] = list;
    if (!allBuffers) {
      chunks = [];
      for (let i = 0; i < list.length; i++) chunks.push(list[i]!, 'latin1');
    }
    err = handle.writev(req, chunks, allBuffers);
  }
  if (err === 0 && b.streamBaseState[b.kLastWriteWasAsync] !== 0) {
    // The kernel took part of it; libuv sends the rest in order before any later write.
    state.writing = b.streamBaseState[b.kBytesWritten]! || 1;
    leftQueued = true;
    return;
  }
  req.buffer = null;
  req.socket = null;
  req.held = null;
  // A failed write may have bound the request before failing: it is not used again.
  if (err === 0) spareReq = req;
  else socket.destroy(writeError(err));
}

/**
 * The stream's own write and end on a socket that may hold bytes: held bytes go first (see
 * above). Installed on the socket the first time it is held.
 */
function writeAfterHeld(this: HeldSocket, chunk: unknown, encoding: unknown, callback: unknown): void {
  const state = this[kHeld]!;
  if (state.list !== null) flush(this, state);
  socketWrite.call(this, chunk, encoding, callback);
}
function writevAfterHeld(this: HeldSocket, chunks: unknown, callback: unknown): void {
  const state = this[kHeld]!;
  if (state.list !== null) flush(this, state);
  socketWritev.call(this, chunks, callback);
}
function finalAfterHeld(this: HeldSocket, callback: unknown): void {
  const state = this[kHeld]!;
  if (state.list !== null) flush(this, state);
  socketFinal.call(this, callback);
}

/**
 * A new HeldState for a connected plain net.Socket (no subclass: TLS and others write through
 * their own layers), with the stream's write and end made to send held bytes first; else null.
 */
function directState(socket: HeldSocket): HeldState | null {
  if (binding === null || Object.getPrototypeOf(socket) !== Socket.prototype || socket.connecting) return null;
  const handle = socket._handle as Partial<NativeStream> | null | undefined;
  if (handle === null || handle === undefined || typeof handle.writeLatin1String !== 'function' || typeof handle.writev !== 'function') return null;
  const state = new HeldState();
  socket[kHeld] = state;
  const own = socket as unknown as StreamMethods;
  own._write = writeAfterHeld;
  own._writev = writevAfterHeld;
  own._final = finalAfterHeld;
  return state;
}

/**
 * `length` bytes to fill and write to `socket` this turn, from the turn's arena; null when the
 * socket is not held (its bytes may outlast the turn) or the copy is larger than an arena.
 */
export function copySpace(socket: Socket, length: number): Buffer | null {
  if (!isHeld(socket) || length > ARENA_SIZE) return null;
  if (arena === null || arenaUsed + length > arena.length) {
    // A full arena is left to the writes that reference it.
    arena = Buffer.allocUnsafeSlow(ARENA_SIZE);
    arenaUsed = 0;
  }
  const out = arena.subarray(arenaUsed, arenaUsed + length);
  arenaUsed += length;
  return out;
}

function isHeld(socket: Socket): boolean {
  const state = (socket as HeldSocket)[kHeld];
  return (state !== undefined && state.list !== null) || socket.writableCorked !== 0;
}

/**
 * Holds `socket`'s writes until the end of this turn. Not when bytes are already queued (the
 * peer is not taking them: holding gains nothing, and they may be shared slices).
 */
export function holdForTurn(socket: Socket): void {
  const s = socket as HeldSocket;
  let state = s[kHeld];
  if (state !== undefined && (state.list !== null || state.writing !== 0)) return;
  if (socket.writableCorked !== 0 || socket.writableLength !== 0) return;
  if (state === undefined) state = directState(s) ?? undefined;
  if (state !== undefined) state.list = [];
  else socket.cork();
  schedule(socket);
}

/** Sends what `socket` holds now (after writing a slice that must not wait). */
export function sendHeldNow(socket: Socket): void {
  const state = (socket as HeldSocket)[kHeld];
  if (state !== undefined && state.list !== null) flush(socket, state);
  else if (socket.writableCorked !== 0) socket.uncork();
}

/**
 * Bytes the proxy owns, held to the end of the turn: a latin1 string (a head, a chunk-size line,
 * a trailer section) or a copy made for this write (write-joined.ts).
 */
export function writeHeld(socket: Socket, bytes: string | Buffer): boolean {
  holdForTurn(socket);
  const state = (socket as HeldSocket)[kHeld];
  if (state !== undefined && state.list !== null) {
    state.list.push(bytes);
    state.bytes += bytes.length;
    if (state.bytes < HOLD_LIMIT) return true;
    flush(socket, state);
    state.drainDue = true;
    return false;
  }
  return typeof bytes === 'string' ? socket.write(bytes, 'latin1') : socket.write(bytes);
}


/** A slice of a buffer the caller will reuse: sent now, behind anything held. */
export function writeShared(socket: Socket, chunk: Buffer): boolean {
  return writeSharedNow(socket, '', chunk, '');
}

/**
 * `before` and `after` (latin1, '' for none) around `chunk`, a slice of a buffer the caller will
 * reuse: sent now, in one write behind anything held. A plain TCP socket with nothing queued
 * writes straight to its handle, as `flush` does, without Writable's queue, write request and
 * completion tick (slices of a 100 KiB response: see docs/benchmarks.md, session 10). If the
 * kernel does not take it all, libuv keeps the rest (and the slice) until it does: the write
 * returns false, 'drain' follows, and until then unsentShared counts it. Other sockets, and one
 * with bytes already queued, write through the stream.
 */
export function writeSharedNow(socket: Socket, before: string, chunk: Buffer, after: string): boolean {
  const s = socket as HeldSocket;
  let state = s[kHeld];
  if (socket.writableLength === 0 && socket.writableCorked === 0 && !socket.destroyed) {
    if (state === undefined) state = directState(s) ?? undefined;
    if (state !== undefined && state.writing === 0) {
      const list = state.list ?? [];
      if (before !== '') list.push(before);
      list.push(chunk);
      if (after !== '') list.push(after);
      state.list = list;
      flush(s, state);
      if (state.writing === 0) return true;
      state.drainDue = true;
      return false;
    }
  }
  // (On a directly held socket the stream's own write sends the held bytes first.)
  socket.cork();
  if (before !== '') socket.write(before, 'latin1');
  let ok = socket.write(chunk);
  if (after !== '') ok = socket.write(after, 'latin1');
  socket.uncork();
  sendHeldNow(socket);
  return ok;
}

/**
 * Bytes queued on `socket` that may still reference a caller's buffer: none while it is held
 * (a held socket queues only owned bytes, see above), else everything not yet sent, a direct
 * write in progress included.
 */
export function unsentShared(socket: Socket): number {
  if (isHeld(socket)) return 0;
  // A direct write the kernel has not finished may hold a slice (writeSharedNow).
  const state = (socket as HeldSocket)[kHeld];
  return socket.writableLength + (state === undefined ? 0 : state.writing);
}

/**
 * Bytes written to `socket` that the kernel has not taken yet, held ones included: whether the
 * peer is still being sent a response (the connection's send timeout).
 */
export function unsentBytes(socket: Socket): number {
  const state = (socket as HeldSocket)[kHeld];
  if (state === undefined) return socket.writableLength;
  return socket.writableLength + state.bytes + state.writing;
}
