/**
 * One certificate order against an ACME server (RFC 8555 §7.4), with acme-client for the
 * protocol (JWS, nonces, polling):
 *
 *   account (§7.3, created or found by its key) → newOrder (§7.4) → for each authorization
 *   (§7.5): publish the challenge answer, tell the CA it is ready (§7.5.1), wait for "valid",
 *   withdraw the answer → finalize with a CSR for a fresh key (§7.4) → download the chain (§7.4.2).
 *
 * Challenges: HTTP-01 (§8.3) is published in the shared challenge store and answered by the
 * plain listeners; TLS-ALPN-01 (RFC 8737 §3) publishes a self-signed certificate with the
 * acmeIdentifier extension that the TLS listeners serve to `acme-tls/1` clients.
 *
 * acme-client's own `auto()` is not used: it first checks the challenge from this host over
 * public DNS and port 80/443 ("verifyChallenge"), which fails behind NAT or on private test
 * networks and proves nothing the CA will not check itself.
 */
import type { Authorization, Client } from 'acme-client';
import { lazyModule } from '../../lazy-module.js';
import type { ChallengeStore } from './challenge-store.js';
import { createSelfSigned } from './self-signed.js';
import { newPrivateKeyPem } from './acme-storage.js';
import { createProfileContext } from '../tls-profile.js';

export type ChallengeType = 'http-01' | 'tls-alpn-01';

export interface OrderRequest {
  readonly directoryUrl: string;
  /** PEM account key (never logged). */
  readonly accountKey: Buffer;
  readonly email: string;
  readonly domains: readonly string[];
  readonly challenge: ChallengeType;
  readonly store: ChallengeStore;
  /** Progress notes for the debug log (no secrets). */
  readonly note: (message: string, fields?: Record<string, unknown>) => void;
}

export interface IssuedCertificate {
  /** The chain, leaf first. */
  readonly certPem: string;
  readonly keyPem: string;
}

/** acme-client, loaded with the first order (lazy-module.ts). */
const acmeClient = lazyModule<typeof import('acme-client')>('acme-client');
/** Polling of pending challenges and orders: 1 s, doubling, at most 10 s between polls, ~1 min in all. */
const BACKOFF = { backoffAttempts: 10, backoffMin: 1_000, backoffMax: 10_000 };

/** Runs a whole order; rejects with the CA's problem detail when it fails. */
export async function orderCertificate(request: OrderRequest): Promise<IssuedCertificate> {
  const { Client, crypto: acmeCrypto } = acmeClient();
  const client = new Client({ directoryUrl: request.directoryUrl, accountKey: request.accountKey, ...BACKOFF });
  // RFC 8555 §7.3: configuring ACME for a CA is taken as agreeing to its terms of service.
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${request.email}`] });
  const order = await client.createOrder({ identifiers: request.domains.map((value) => ({ type: 'dns', value })) });
  request.note('acme: order created', { domains: request.domains });
  const authorizations = await client.getAuthorizations(order);
  const pending = authorizations.map((authz) => authorize(client, authz, request));
  const results = await Promise.allSettled(pending);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;

  const keyPem = newPrivateKeyPem();
  const [, csr] = await acmeCrypto.createCsr({ commonName: request.domains[0]!, altNames: [...request.domains] }, keyPem);
  const finalized = await client.finalizeOrder(order, csr);
  const certPem = await client.getCertificate(finalized);
  return { certPem, keyPem };
}

/** Proves control of one identifier, publishing the answer only while the CA may look at it. */
async function authorize(client: Client, authz: Authorization, request: OrderRequest): Promise<void> {
  const domain = authz.identifier.value;
  if (authz.status === 'valid') return; // reused authorization (RFC 8555 §7.1.4)
  const challenge = authz.challenges.find((c) => c.type === request.challenge);
  if (challenge === undefined) {
    throw new Error(`the ACME server offers no ${request.challenge} challenge for ${domain} (offered: ${authz.challenges.map((c) => c.type).join(', ')})`);
  }
  const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
  const withdraw = publish(request, domain, challenge.token, keyAuthorization);
  let completed = false;
  try {
    await client.completeChallenge(challenge);
    completed = true;
    request.note('acme: challenge ready', { domain, challenge: request.challenge });
    await client.waitForValidStatus(challenge);
  } catch (err) {
    // An authorization left pending counts against the CA's limits: give it up (RFC 8555 §7.5.2).
    if (!completed) await client.deactivateAuthorization(authz).catch(() => undefined);
    throw new Error(`${domain}: ${(err as Error).message}`);
  } finally {
    withdraw();
  }
}

/** Makes the challenge answer visible to the CA; returns the function that withdraws it. */
function publish(request: OrderRequest, domain: string, token: string, keyAuthorization: string): () => void {
  const store = request.store;
  if (request.challenge === 'http-01') {
    store.setHttp(token, keyAuthorization);
    return () => store.deleteHttp(token);
  }
  const { certPem, keyPem } = createSelfSigned({ names: [domain], validForMs: 7 * 24 * 3_600_000, keyAuthorization });
  // RFC 8737 §4: TLS 1.2 or later.
  store.setAlpn(domain, createProfileContext(certPem, keyPem, 'TLSv1.2'));
  return () => store.deleteAlpn(domain);
}
