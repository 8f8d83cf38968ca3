/**
 * The ACME challenges being answered right now, in memory, shared by every listener of the
 * process: HTTP-01 tokens (RFC 8555 §8.3) answered by the plain listeners before routing, and
 * TLS-ALPN-01 certificates (RFC 8737 §3) answered by the TLS listeners. Entries live only from
 * "challenge ready" to the end of validation.
 */
import type { SecureContext } from 'node:tls';

/** RFC 8555 §8.3: the path prefix the CA fetches. */
export const HTTP01_PREFIX = '/.well-known/acme-challenge/';

export class ChallengeStore {
  private readonly http = new Map<string, string>();
  private readonly alpn = new Map<string, SecureContext>();

  /** Publishes the key authorization for a token. */
  setHttp(token: string, keyAuthorization: string): void {
    this.http.set(token, keyAuthorization);
  }

  deleteHttp(token: string): void {
    this.http.delete(token);
  }

  /** The key authorization to answer for `token`, if a challenge for it is pending. */
  httpAnswer(token: string): string | undefined {
    return this.http.get(token);
  }

  /** Publishes the acmeIdentifier certificate for a domain (lower-case). */
  setAlpn(domain: string, context: SecureContext): void {
    this.alpn.set(domain.toLowerCase(), context);
  }

  deleteAlpn(domain: string): void {
    this.alpn.delete(domain.toLowerCase());
  }

  alpnContext(domain: string): SecureContext | undefined {
    return this.alpn.get(domain.toLowerCase());
  }

  /** True while a TLS-ALPN-01 challenge is pending: only then do TLS listeners peek at ClientHellos. */
  get alpnPending(): boolean {
    return this.alpn.size > 0;
  }
}
