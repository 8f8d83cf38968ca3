/**
 * acme-client, loaded the first time an ACME certificate is managed: with its dependencies
 * (axios, node-forge, @peculiar/x509…) it adds ~8 MiB of heap and ~26 MiB of RSS to the process,
 * which an instance without `tls.acme` should not carry (docs/benchmarks.md, session 5).
 */
import { createRequire } from 'node:module';

type AcmeClient = typeof import('acme-client');

let loaded: AcmeClient | undefined;

export function acmeClient(): AcmeClient {
  // Why the cast: require() is untyped; the type is the module's own.
  return (loaded ??= createRequire(import.meta.url)('acme-client') as AcmeClient);
}
