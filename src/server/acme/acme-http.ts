/**
 * The HTTPS connection to ACME servers (RFC 8555 §6.1). acme-client sends every request through
 * one shared axios instance; this installs, once, a request interceptor that
 *
 * - trusts a private CA (`acme.caFile`, e.g. Pebble's) only for the origin of the directory it
 *   was configured with, never for other hosts (Let's Encrypt keeps the system roots);
 * - bounds each request (a silent ACME server must not hang issuance forever; the renewal
 *   timer tries again later).
 */
import { Agent } from 'node:https';
import { lazyModule } from '../../lazy-module.js';

/** acme-client, loaded when the first ACME server is prepared (lazy-module.ts). */
const acmeClient = lazyModule<typeof import('acme-client')>('acme-client');

/** Longest wait for one ACME HTTP request. */
const REQUEST_TIMEOUT_MS = 30_000;

const agents = new Map<string, Agent>();
let installed = false;

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  acmeClient().axios.interceptors.request.use((config) => {
    const origin = originOf(config.url);
    const agent = origin === undefined ? undefined : agents.get(origin);
    if (agent !== undefined) config.httpsAgent = agent;
    if (!config.timeout) config.timeout = REQUEST_TIMEOUT_MS;
    return config;
  });
}

/**
 * Prepares requests to the ACME server at `directoryUrl`: with `ca` (PEM), the server's
 * certificate must chain to it instead of to the system roots.
 */
export function prepareAcmeServer(directoryUrl: string, ca: Buffer | undefined): void {
  install();
  const origin = originOf(directoryUrl);
  if (origin === undefined) return;
  if (ca === undefined) agents.delete(origin);
  else agents.set(origin, new Agent({ ca, keepAlive: false }));
}
