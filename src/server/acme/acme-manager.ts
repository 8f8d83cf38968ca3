/**
 * Keeps one ACME certificate of a TLS listener served and fresh (RFC 8555):
 *
 * - at start (synchronously, before the listener binds): the stored certificate when it covers
 *   the domains and is valid, else a temporary self-signed one, so the listener serves at once;
 * - then in the background: orders a certificate when none is stored or the stored one expires
 *   within `renewBefore`, stores it (keys 0600) and swaps it into the SNI table — new handshakes
 *   get it, open connections keep theirs, no restart;
 * - every 12 hours (an unref'd timer: it never keeps the process alive) checks again, so
 *   renewal happens `renewBefore` ahead of expiry; a failed order is retried with backoff
 *   (5 min doubling, at most the check period), well inside CA rate limits.
 *
 * Logged: issuance, renewal, loading, failures (with the CA's problem detail). Never keys.
 */
import { TlsFileError, certificateFromPem, readTlsFile } from '../tls-certificates.js';
import type { AcmeConfig } from '../tls-config.js';
import type { SniEntry } from '../tls-context.js';
import type { TlsMinVersion } from '../tls-profile.js';
import { prepareAcmeServer } from './acme-http.js';
import { orderCertificate } from './acme-order.js';
import { loadOrCreateAccountKey, openStorage, readStoredCertificate, storeCertificate, unusableReason, type AcmePaths } from './acme-storage.js';
import type { ChallengeStore } from './challenge-store.js';
import { createSelfSigned } from './self-signed.js';

/** The log calls used (a pino logger fits). */
export interface AcmeLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface AcmeManagerOptions {
  /** Key path of the acme block, for messages: `listeners[1].tls.acme`. */
  readonly keyPath: string;
  readonly listener: string;
  readonly config: AcmeConfig;
  readonly minVersion: TlsMinVersion;
  readonly store: ChallengeStore;
  readonly log: AcmeLog;
  /** Serves a certificate (replacing the previous one of this manager). */
  readonly install: (entry: SniEntry) => void;
}

/** How often the certificate's expiry is checked. */
export const CHECK_INTERVAL_MS = 12 * 3_600_000;
const RETRY_BASE_MS = 5 * 60_000;
const TEMPORARY_VALIDITY_MS = 30 * 24 * 3_600_000;

export class AcmeManager {
  private readonly paths: AcmePaths;
  /** Expiry of the certificate served; 0 while the temporary one is served. */
  private notAfter = 0;
  private ordering: Promise<void> | null = null;
  private failures = 0;
  private interval: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  /** Reads the stored state and serves a certificate; throws a TlsFileError naming the key. */
  constructor(private readonly options: AcmeManagerOptions) {
    const { keyPath, config } = options;
    const ca = config.caFile === undefined ? undefined : readTlsFile(`${keyPath}.caFile`, config.caFile);
    prepareAcmeServer(config.directoryUrl, ca);
    try {
      this.paths = openStorage(config.storageDir, config.directoryUrl, config.domains[0]!);
    } catch (err) {
      throw new TlsFileError(`${keyPath}.storageDir: cannot use ${JSON.stringify(config.storageDir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    this.serveInitial();
  }

  private get fields(): Record<string, unknown> {
    return { listener: this.options.listener, domains: this.options.config.domains };
  }

  private serveInitial(): void {
    const { config, keyPath, log } = this.options;
    let stored;
    try {
      stored = readStoredCertificate(this.paths);
    } catch (err) {
      throw new TlsFileError(`${keyPath}.storageDir: cannot read ${JSON.stringify(this.paths.dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (stored !== undefined) {
      const reason = unusableReason(stored, config.domains, 0);
      if (reason === undefined) {
        this.serve(stored.certPem, stored.keyPem);
        log.info({ ...this.fields, notAfter: stored.notAfter.toISOString() }, 'acme: certificate loaded from storage');
        return;
      }
      log.info({ ...this.fields, reason }, 'acme: stored certificate not usable; a new one will be ordered');
    }
    const temporary = createSelfSigned({ names: config.domains, validForMs: TEMPORARY_VALIDITY_MS });
    this.options.install(certificateFromPem(keyPath, { cert: '(temporary)', key: '(temporary)' }, Buffer.from(temporary.certPem), Buffer.from(temporary.keyPem), this.options.minVersion));
    this.notAfter = 0;
    log.info(this.fields, 'acme: serving a temporary self-signed certificate until one is issued');
  }

  private serve(certPem: Buffer, keyPem: Buffer): void {
    const loaded = certificateFromPem(this.options.keyPath, { cert: this.paths.cert, key: this.paths.key }, certPem, keyPem, this.options.minVersion);
    this.options.install(loaded);
    this.notAfter = loaded.notAfter.getTime();
  }

  /** How this manager proves domain control. */
  get challenge(): AcmeConfig['challenge'] {
    return this.options.config.challenge;
  }

  /** Whether a certificate must be ordered now. */
  get due(): boolean {
    return this.notAfter - this.options.config.renewBefore <= Date.now();
  }

  /** Starts the background work (call once the listeners are bound: HTTP-01 is answered on them). */
  start(): void {
    this.interval = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.interval.unref();
    this.check();
  }

  stop(): void {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    if (this.retry) clearTimeout(this.retry);
    this.interval = this.retry = null;
  }

  /** Orders a certificate if one is due; resolves when that is done (or failed, logged). */
  check(): Promise<void> {
    if (this.stopped || !this.due) return Promise.resolve();
    this.ordering ??= this.order().finally(() => {
      this.ordering = null;
    });
    return this.ordering;
  }

  private async order(): Promise<void> {
    const { config, log, store } = this.options;
    const renewal = this.notAfter !== 0;
    log.info({ ...this.fields, directoryUrl: config.directoryUrl, challenge: config.challenge }, renewal ? 'acme: renewing certificate' : 'acme: ordering certificate');
    try {
      const account = loadOrCreateAccountKey(this.paths);
      if (account.created) log.info({ ...this.fields, file: this.paths.accountKey }, 'acme: account key created');
      const issued = await orderCertificate({
        directoryUrl: config.directoryUrl,
        accountKey: account.pem,
        email: config.email,
        domains: config.domains,
        challenge: config.challenge,
        store,
        note: (message, fields) => log.debug({ ...this.fields, ...fields }, message),
      });
      if (this.stopped) return;
      storeCertificate(this.paths, issued.certPem, issued.keyPem);
      this.serve(Buffer.from(issued.certPem), Buffer.from(issued.keyPem));
      this.failures = 0;
      log.info({ ...this.fields, notAfter: new Date(this.notAfter).toISOString(), file: this.paths.cert }, renewal ? 'acme: certificate renewed' : 'acme: certificate issued');
    } catch (err) {
      this.failures++;
      const delay = Math.min(CHECK_INTERVAL_MS, RETRY_BASE_MS * 2 ** (this.failures - 1));
      log.error({ ...this.fields, err: { message: (err as Error).message }, retryInMs: delay }, renewal ? 'acme: renewal failed' : 'acme: issuance failed');
      if (this.stopped) return;
      if (this.retry) clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.check(), delay);
      this.retry.unref();
    }
  }
}
