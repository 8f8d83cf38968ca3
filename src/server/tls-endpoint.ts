/**
 * The TLS side of one listener: its SNI table (configured certificates, then ACME's), its ACME
 * manager, and the wrapping of each accepted TCP socket into a server TLSSocket (RFC 8446).
 *
 * The ClientHello is read first (client-hello.ts) and the TLSSocket is created with the one
 * certificate its server name selects (RFC 6066 §3): Node's SNICallback would keep the default
 * certificate beside the chosen one and may serve the wrong one when their key types differ.
 * A ClientHello that cannot be read that way (split over several records) falls back to the
 * SNICallback. A client offering `acme-tls/1` for a domain with a pending TLS-ALPN-01 challenge
 * gets the challenge certificate and nothing else (RFC 8737 §3).
 *
 * The HTTP/1.1 code then runs unchanged on the TLSSocket (llhttp reads the decrypted stream as
 * it reads a TCP socket), and the connection's header deadline also bounds the handshake.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { AcmeManager, type AcmeLog } from './acme/acme-manager.js';
import type { ChallengeStore } from './acme/challenge-store.js';
import { readClientHello, type ClientHelloPeek } from './client-hello.js';
import { loadCertificate } from './tls-certificates.js';
import type { ListenerTlsConfig } from './tls-config.js';
import { SniTable } from './tls-context.js';
import { ALPN_PROTOCOLS } from './tls-profile.js';

/** RFC 8737 §6.2: the ALPN protocol of TLS-ALPN-01 validation. */
const ACME_TLS_ALPN = 'acme-tls/1';
/** Longest a TLS-ALPN-01 validation connection may stay open. */
const CHALLENGE_TIMEOUT_MS = 10_000;

export interface TlsEndpointOptions {
  /** Index of the listener in `listeners`, for messages. */
  readonly index: number;
  readonly name: string;
  readonly config: ListenerTlsConfig;
  readonly challenges: ChallengeStore;
  readonly log: AcmeLog;
  /** Offer HTTP/2 ("h2") by ALPN before http/1.1 (RFC 9113 §3.2). */
  readonly http2?: boolean;
}

export class TlsEndpoint {
  readonly sni: SniTable;
  readonly acme: AcmeManager | undefined;
  private readonly alpn: string[];

  /** Reads the certificate files now; throws a TlsFileError naming the key path on any problem. */
  constructor(private readonly options: TlsEndpointOptions) {
    const { config, index } = options;
    this.alpn = options.http2 === true ? ['h2', ...ALPN_PROTOCOLS] : [...ALPN_PROTOCOLS];
    const base = `listeners[${index}].tls`;
    this.sni = new SniTable(config.certificates.length + (config.acme ? 1 : 0));
    const now = Date.now();
    config.certificates.forEach((certificate, i) => {
      const loaded = loadCertificate(`${base}.certificates[${i}]`, certificate, config.minVersion);
      this.sni.set(i, loaded);
      if (loaded.notAfter.getTime() <= now) {
        options.log.warn({ listener: options.name, certFile: certificate.certFile, notAfter: loaded.notAfter.toISOString() }, 'tls: certificate has expired');
      }
    });
    const acmeSlot = config.certificates.length;
    this.acme = config.acme
      ? new AcmeManager({
          keyPath: `${base}.acme`,
          listener: options.name,
          config: config.acme,
          minVersion: config.minVersion,
          store: options.challenges,
          log: options.log,
          install: (entry) => this.sni.set(acmeSlot, entry),
        })
      : undefined;
  }

  /** Starts ACME background work (once every listener is bound). */
  start(): void {
    this.acme?.start();
  }

  stop(): void {
    this.acme?.stop();
  }

  /**
   * Reads the ClientHello of an accepted socket (at most `timeoutMs`), then calls `done` once:
   * with the TLS socket to serve HTTP on, or with undefined when there is none (the client went
   * away, or it was an ACME validation, answered here).
   */
  wrap(raw: Socket, timeoutMs: number, done: (socket: TLSSocket | undefined) => void): void {
    readClientHello(raw, timeoutMs, (hello) => {
      if (hello === undefined) return done(undefined);
      const challenge = this.challengeContext(hello);
      if (challenge !== undefined) return this.answerChallenge(raw, challenge, () => done(undefined));
      done(this.secure(raw, hello));
    });
  }

  private challengeContext(hello: ClientHelloPeek): SecureContext | undefined {
    if (hello.kind !== 'hello' || hello.serverName === undefined || !this.options.challenges.alpnPending) return undefined;
    return hello.alpn.includes(ACME_TLS_ALPN) ? this.options.challenges.alpnContext(hello.serverName) : undefined;
  }

  private secure(raw: Socket, hello: ClientHelloPeek): TLSSocket {
    if (hello.kind === 'hello') {
      return new TLSSocket(raw, { isServer: true, secureContext: this.sni.select(hello.serverName), ALPNProtocols: this.alpn });
    }
    // Not readable up front (or not TLS at all: the handshake fails as it should).
    return new TLSSocket(raw, { isServer: true, secureContext: this.sni.defaultContext, SNICallback: this.sni.sniCallback, ALPNProtocols: this.alpn });
  }

  /** RFC 8737 §3: complete the handshake with the challenge certificate, then close. */
  private answerChallenge(raw: Socket, context: SecureContext, closed: () => void): void {
    const socket = new TLSSocket(raw, { isServer: true, secureContext: context, ALPNProtocols: [ACME_TLS_ALPN] });
    const timer = setTimeout(() => socket.destroy(), CHALLENGE_TIMEOUT_MS);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      closed();
    });
    socket.once('secure', () => {
      this.options.log.debug({ listener: this.options.name, servername: socket.servername }, 'acme: answered a tls-alpn-01 validation');
      socket.end();
    });
    socket.resume();
  }
}
