/**
 * The checks a proxy makes on a WebSocket opening handshake before anything reaches a target
 * (RFC 6455 §4.1, §4.2.1). llhttp has flagged the request as an upgrade (it has an Upgrade field
 * and `upgrade` in Connection); what is left to check is that it is a WebSocket handshake at all,
 * and a well-formed one: an origin must never see a half-valid handshake that it, or a proxy in
 * front of it, might read as something else (the known WebSocket smuggling tricks rely on a
 * proxy believing a tunnel is open when the origin did not switch).
 */
import { createHash } from 'node:crypto';
import { ProxyError } from '../errors/index.js';
import type { DownstreamRequest } from '../server/downstream-request.js';

/** A 16-byte nonce in base64 is 24 characters, the last two `==` (RFC 6455 §4.1 item 7). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;
/** RFC 6455 §4.1 item 9: 1*DIGIT (13 is the version this RFC defines; the target may answer 426). */
const VERSION = /^[0-9]{1,3}$/;

/**
 * What an upgrade request is: a valid WebSocket handshake (null), an upgrade to another protocol
 * (REQUEST_UPGRADE_UNSUPPORTED), or a malformed handshake (WEBSOCKET_HANDSHAKE_INVALID).
 */
export function checkWebSocketHandshake(req: DownstreamRequest): ProxyError | null {
  const raw = req.rawHeaders;
  let upgrade = '';
  let connection = '';
  let key: string | undefined;
  let keys = 0;
  let version: string | undefined;
  let versions = 0;
  let body = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'upgrade') upgrade += `${value},`;
    else if (name === 'connection') connection += `${value},`;
    else if (name === 'sec-websocket-key') {
      key = value;
      keys++;
    } else if (name === 'sec-websocket-version') {
      version = value;
      versions++;
    } else if (name === 'transfer-encoding' || (name === 'content-length' && value !== '0')) body = true;
  }
  if (!hasToken(upgrade, 'websocket')) return new ProxyError('REQUEST_UPGRADE_UNSUPPORTED', `upgrade to ${upgrade.slice(0, -1) || 'nothing'} is not proxied`);
  const invalid = (why: string): ProxyError => new ProxyError('WEBSOCKET_HANDSHAKE_INVALID', `invalid WebSocket handshake: ${why}`);
  // RFC 6455 §4.1 items 1-2: a GET of HTTP/1.1 or higher.
  if (req.method !== 'GET') return invalid(`method ${req.method}`);
  if (req.httpMinor < 1) return invalid('HTTP/1.0');
  if (!hasToken(connection, 'upgrade')) return invalid('Connection does not list upgrade');
  if (keys !== 1 || !KEY.test(key!)) return invalid(keys === 1 ? 'Sec-WebSocket-Key is not a 16-byte nonce in base64' : `${keys} Sec-WebSocket-Key fields`);
  if (versions !== 1 || !VERSION.test(version!)) return invalid(versions === 1 ? 'Sec-WebSocket-Version is not a number' : `${versions} Sec-WebSocket-Version fields`);
  // A handshake has no content; a body would be bytes of unknown meaning ahead of the tunnel.
  if (body) return invalid('the request has a body');
  return null;
}

/** Whether a comma-separated list (RFC 9110 §5.6.1) holds `token`, case-insensitively. */
function hasToken(list: string, token: string): boolean {
  for (const member of list.split(',')) if (member.trim().toLowerCase() === token) return true;
  return false;
}

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Whether the 101 of a target switches to WebSocket and answers this handshake (RFC 6455 §4.2.2
 * item 5, §4.1 client checks 1-4): `Upgrade: websocket` and exactly one Sec-WebSocket-Accept
 * derived from the client's `key`. A 101 without the right Accept is not a WebSocket server's
 * answer (an application reflecting a status code, a confused origin); opening a tunnel on it
 * would let the client send raw bytes to an origin still reading HTTP (WebSocket smuggling).
 */
export function switchesToWebSocket(rawHeaders: readonly string[], key: string): boolean {
  let upgrade = false;
  let accept: string | undefined;
  let accepts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'upgrade' && hasToken(rawHeaders[i + 1]!, 'websocket')) upgrade = true;
    else if (name === 'sec-websocket-accept') {
      accept = rawHeaders[i + 1]!.trim();
      accepts++;
    }
  }
  return upgrade && accepts === 1 && accept === webSocketAccept(key);
}

/** The Sec-WebSocket-Accept a server derives from `key` (RFC 6455 §4.2.2 item 5.4). */
export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID, 'latin1').digest('base64');
}
