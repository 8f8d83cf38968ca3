/**
 * Cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3): the client starts with the connection
 * preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". An h2c listener reads the first bytes of each
 * connection, puts them back, and hands the connection to HTTP/2 or HTTP/1.1. (An HTTP/1.1
 * request can never start with the preface: llhttp refuses "PRI" with version 2.0.)
 */
import type { Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Whether the connection's first bytes are the HTTP/2 preface (as far as they go). */
export function isHttp2Preface(start: Buffer): boolean {
  const n = Math.min(start.length, PREFACE.length);
  return n > 0 && start.compare(PREFACE, 0, n, 0, n) === 0;
}

/**
 * Reads until the preface is complete or ruled out (or `timeoutMs` passes), puts the bytes back
 * (`unshift`) and calls `done` once with them; undefined when the client went away (the socket
 * is then destroyed).
 */
export function readPreface(socket: Socket, timeoutMs: number, done: (start: Buffer | undefined) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const finish = (ok: boolean): void => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onGone);
    socket.removeListener('close', onGone);
    socket.removeListener('error', onGone);
    if (!ok) {
      socket.destroy();
      return done(undefined);
    }
    socket.pause();
    socket.unshift(buffered);
    done(buffered);
  };
  const onGone = (): void => finish(false);
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (buffered.length >= PREFACE.length || !isHttp2Preface(buffered)) finish(true);
  };
  const timer = setTimeout(onGone, timeoutMs);
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('close', onGone);
  socket.on('error', onGone);
}
