/**
 * A CommonJS dependency loaded the first time it is used, for those an instance may never
 * need: acme-client without `tls.acme` (with axios, node-forge and @peculiar/x509: ~26 MiB of
 * RSS), ioredis without `state.redis` (~25 MiB), undici without health checks or forward auth
 * (~3.6 MiB of heap). Loaded at start-up, each would be carried by every process
 * (docs/benchmarks.md, session 5).
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A loader for module `name`: the module, required at the first call. */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  // Why the cast: require() is untyped; the caller names the module's own type.
  return () => (loaded ??= load(name) as T);
}
