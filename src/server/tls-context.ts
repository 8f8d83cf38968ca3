/**
 * The SNI table of one TLS listener: which certificate answers which server name (RFC 6066 §3).
 *
 * Names come from each certificate's subjectAltName DNS entries, read once when the certificate
 * is loaded (RFC 6125 §6.4.4: the CN is not consulted when SANs are present, and browsers ignore
 * it). `*.example.com` matches exactly one label (`a.example.com`, not `example.com` nor
 * `a.b.example.com`, RFC 6125 §6.4.3). An exact name beats a wildcard; among certificates
 * claiming the same name, the earlier slot wins. The first slot holding a certificate is the
 * default, served when the client sends no name (SNI is optional, and never carries an IP
 * literal) or one no certificate covers.
 *
 * Slots are fixed at start (the configured certificates, then ACME's); ACME replaces its slot's
 * entry on issuance or renewal and the lookup maps are rebuilt, so new handshakes get the new
 * certificate without a restart while established connections keep theirs.
 */
import { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';

/** One certificate ready to serve. */
export interface SniEntry {
  /** Lower-case DNS names (may include `*.` wildcards) it is served for. */
  readonly names: readonly string[];
  readonly context: SecureContext;
}

/** The DNS names of a certificate's subjectAltName, lower-cased. */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san === undefined) return [];
  const names: string[] = [];
  // "DNS:a.example, DNS:*.example, IP Address:127.0.0.1"; Node quotes entries with odd characters,
  // which a valid DNS name never has, so those are skipped by the character class.
  for (const m of san.matchAll(/(?:^|, )DNS:([A-Za-z0-9*._-]+)(?=,|$)/g)) names.push(m[1]!.toLowerCase());
  return names;
}

export class SniTable {
  private readonly slots: (SniEntry | undefined)[];
  private exact = new Map<string, SecureContext>();
  /** Keyed by the parent domain: `*.example.com` → `example.com`. */
  private wildcard = new Map<string, SecureContext>();
  private fallback: SecureContext | undefined;

  constructor(slotCount: number) {
    this.slots = new Array<SniEntry | undefined>(slotCount).fill(undefined);
  }

  /** Puts (or replaces) the certificate of a slot. */
  set(slot: number, entry: SniEntry): void {
    this.slots[slot] = entry;
    this.rebuild();
  }

  /** The context served when the client sends no name or an unknown one. */
  get defaultContext(): SecureContext | undefined {
    return this.fallback;
  }

  /** The context for a server name from the ClientHello. */
  select(serverName: string | undefined): SecureContext | undefined {
    if (!serverName) return this.fallback;
    const name = serverName.toLowerCase();
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(name.slice(dot + 1));
      if (wild !== undefined) return wild;
    }
    return this.fallback;
  }

  /**
   * Node's SNICallback, bound to this table: only for ClientHellos that could not be read up
   * front (tls-endpoint.ts), since Node keeps the default certificate beside the chosen one.
   */
  readonly sniCallback = (serverName: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.select(serverName));
  };

  private rebuild(): void {
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    let fallback: SecureContext | undefined;
    for (const entry of this.slots) {
      if (entry === undefined) continue;
      fallback ??= entry.context;
      for (const name of entry.names) {
        if (name.startsWith('*.')) {
          const parent = name.slice(2);
          if (!wildcard.has(parent)) wildcard.set(parent, entry.context);
        } else if (!exact.has(name)) exact.set(name, entry.context);
      }
    }
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback;
  }
}
