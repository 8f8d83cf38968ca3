/**
 * Small self-signed certificates (RFC 5280), made with node:crypto and a minimal DER writer:
 *
 * - the temporary certificate served for ACME domains until the real one is issued (so TLS
 *   listeners can start at once; clients see an untrusted certificate, not a refused connection);
 * - the TLS-ALPN-01 challenge certificate (RFC 8737 §3): exactly one dNSName SAN, the domain,
 *   and the critical acmeIdentifier extension holding SHA-256 of the key authorization.
 *
 * Node has no certificate-building API, and the ACME library's builder makes CA certificates
 * valid for zero seconds on a fresh RSA key; an ECDSA P-256 key (fast to make) and a plain
 * end-entity certificate are simpler and serve both cases.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

// --- DER (X.690) writer: just the types a certificate needs ---

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const bits = (content: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), content);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function integer(value: Buffer): Buffer {
  // Positive: a leading 0 when the high bit is set.
  // DER (X.690 §8.3.2): the shortest two's-complement form — no leading 0x00 unless the next
  // byte has its high bit set (a random serial can start with 0x00: "illegal padding").
  let start = 0;
  while (start < value.length - 1 && value[start] === 0 && value[start + 1]! < 0x80) start++;
  const minimal = start === 0 ? value : value.subarray(start);
  return tlv(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const base128: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const SUBJECT_ALT_NAME = '2.5.29.17';
const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXT_KEY_USAGE = '2.5.29.37';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
/** RFC 8737 §3: id-pe-acmeIdentifier. */
const ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';

export interface SelfSignedOptions {
  /** DNS names for the subjectAltName; the first is also the subject CN. */
  names: readonly string[];
  /** Validity from now. */
  validForMs: number;
  /** TLS-ALPN-01: the key authorization whose SHA-256 goes into the acmeIdentifier extension. */
  keyAuthorization?: string;
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

/** Makes an ECDSA P-256 key and a self-signed end-entity certificate for `names`. */
export function createSelfSigned(options: SelfSignedOptions): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  // A minute of slack for clocks that are a little behind.
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + options.validForMs);
  const name = seq(set(seq(oid(COMMON_NAME), utf8(options.names[0] ?? 'barbican'))));
  const algorithm = seq(oid(ECDSA_WITH_SHA256));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;

  const extensions = [
    extension(SUBJECT_ALT_NAME, false, seq(...options.names.map((n) => tlv(0x82, Buffer.from(n, 'latin1'))))),
    extension(BASIC_CONSTRAINTS, true, seq()),
    extension(KEY_USAGE, true, bits(Buffer.from([0x80]), 7)), // digitalSignature
    extension(EXT_KEY_USAGE, false, seq(oid(SERVER_AUTH))),
  ];
  if (options.keyAuthorization !== undefined) {
    const digest = createHash('sha256').update(options.keyAuthorization).digest();
    // RFC 8737 §3: critical, extnValue = DER of Authorization ::= OCTET STRING (SIZE (32)).
    extensions.push(extension(ACME_IDENTIFIER, true, octets(digest)));
  }

  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] version v3
    integer(serial),
    algorithm,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)), // [3] extensions
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, algorithm, bits(signature));
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
