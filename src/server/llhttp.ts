/**
 * Node's own llhttp binding, reached without the node:http object layer (see
 * docs/architecture.md: the per-request objects of node:http are where the time goes).
 * Parsing stays exactly as strict as node:http's: same parser, no lenient flags.
 */
import { createRequire } from 'node:module';

/** The subset of the binding's parser object that Barbican uses. */
export interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /** Returns the bytes consumed, or an Error with `code` (HPE_*) and `bytesParsed`. */
  execute(data: Buffer): number | LlhttpError;
  finish(): number | LlhttpError | undefined;
  close(): void;
  free(): void;
  remove(): void;
  [callback: number]: unknown;
}

export interface LlhttpError extends Error {
  code: string;
  reason?: string;
  bytesParsed: number;
}

interface HttpParserClass {
  new (): LlhttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

const require = createRequire(import.meta.url);
// `_http_common` is node:http's own (public, undocumented) module holding the binding.
const common = require('_http_common') as { HTTPParser: HttpParserClass; methods: string[] };

export const HTTPParser = common.HTTPParser;
/** Method names indexed by llhttp's method number. */
export const METHODS: readonly string[] = common.methods;

/**
 * Callback signature of kOnHeadersComplete:
 * (versionMajor, versionMinor, headers | undefined, method, url | undefined, statusCode,
 *  statusMessage, upgrade, shouldKeepAlive). Headers and url are undefined when they were
 * already flushed through kOnHeaders (long heads, or heads split across reads).
 */
/** The native handle of a net.Socket, as node:http uses it (not part of the public types). */
export interface SocketHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

/** The handle of a connected socket, or undefined once it is closed. */
export function socketHandle(socket: import('node:net').Socket): SocketHandle | undefined {
  // `_handle` is internal to net.Socket; node:http relies on it the same way.
  return (socket as unknown as { _handle?: SocketHandle | null })._handle ?? undefined;
}

/** Stops reading a socket, also one whose reads go to a callback rather than 'data' (user-read-buffer.ts). */
export function stopReading(socket: import('node:net').Socket): void {
  socket.pause();
  const handle = socketHandle(socket);
  if (handle !== undefined && handle.reading) {
    handle.reading = false;
    handle.readStop();
  }
}

/** Undoes stopReading. */
export function startReading(socket: import('node:net').Socket): void {
  socket.resume();
  const handle = socketHandle(socket);
  if (handle !== undefined && !handle.reading && !socket.destroyed) {
    handle.reading = true;
    handle.readStart();
  }
}

export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number,
  url: string | undefined,
  statusCode: number,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number;
