/**
 * Cross-reference checks: what the schema cannot see one key at a time. Routes name existing
 * upstreams; listener names, listener addresses and route names are unique; TLS features have
 * the listeners they need. An upstream no
 * route uses is fine (it may be kept for a later reload).
 *
 * The checks read the data defensively, so the loader can run them even when the schema
 * found problems elsewhere and report everything in one go; a value of the wrong type is left
 * to the schema's message.
 */
import { suggestion, type ProblemDraft } from './errors.js';
import { parseAddress } from '../server/config.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function items(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map((item) => (isObject(item) ? item : {})) : [];
}

/** `host:port` with the host spelled one way (`:8080` is `0.0.0.0:8080`), or undefined. */
function addressIdentity(address: string): string | undefined {
  try {
    const { host, port } = parseAddress(address);
    if (port === 0) return undefined; // port 0 picks a free port: never a clash
    return `${host.toLowerCase()}|${port}`;
  } catch {
    return undefined;
  }
}

/**
 * TLS between listeners: `redirectToHttps` belongs on plain listeners (on a TLS one it would
 * redirect to itself), and ACME HTTP-01 (RFC 8555 §8.3) needs a plain listener to answer on.
 */
function checkTlsReferences(listeners: Obj[]): ProblemDraft[] {
  const problems: ProblemDraft[] = [];
  const hasPlain = listeners.some((l) => l.tls === undefined);
  listeners.forEach((listener, index) => {
    if (!isObject(listener.tls)) return;
    if (listener.redirectToHttps === true) {
      problems.push({ path: ['listeners', index, 'redirectToHttps'], message: 'redirectToHttps is for plain listeners; this one already serves https', hint: 'set it on the plain listener that should redirect here' });
    }
    const acme = listener.tls.acme;
    if (isObject(acme) && (acme.challenge === undefined || acme.challenge === 'http-01') && !hasPlain) {
      problems.push({
        path: acme.challenge === undefined ? ['listeners', index, 'tls', 'acme'] : ['listeners', index, 'tls', 'acme', 'challenge'],
        message: 'the http-01 challenge is answered on a plain listener, and there is none',
        hint: 'add a listener on port 80 without tls, or use challenge: tls-alpn-01',
      });
    }
  });
  return problems;
}

/** All cross-reference problems of a configuration (validated or not), as drafts with key paths. */
export function checkReferences(data: unknown): ProblemDraft[] {
  const problems: ProblemDraft[] = [];
  if (!isObject(data)) return problems;

  const listeners = items(data.listeners);
  const listenerNames = new Map<string, number>();
  const addresses = new Map<string, number>();
  listeners.forEach((listener, index) => {
    const { name, address } = listener;
    if (typeof name === 'string') {
      const first = listenerNames.get(name);
      if (first === undefined) listenerNames.set(name, index);
      else problems.push({ path: ['listeners', index, 'name'], message: `duplicate listener name ${JSON.stringify(name)}`, hint: `first used by listeners[${first}]` });
    }
    if (typeof address === 'string') {
      const identity = addressIdentity(address);
      if (identity === undefined) return;
      const first = addresses.get(identity);
      if (first === undefined) addresses.set(identity, index);
      else {
        const other = listeners[first]!;
        const same = other.address === address ? '' : `, as ${JSON.stringify(other.address)}`;
        problems.push({ path: ['listeners', index, 'address'], message: `duplicate listener address ${JSON.stringify(address)}`, hint: `first used by listeners[${first}]${same}` });
      }
    }
  });

  problems.push(...checkTlsReferences(listeners));

  const routes = items(data.routes);
  const routeNames = new Map<string, number>();
  routes.forEach((route, index) => {
    if (typeof route.name !== 'string') return;
    const first = routeNames.get(route.name);
    if (first === undefined) routeNames.set(route.name, index);
    else problems.push({ path: ['routes', index, 'name'], message: `duplicate route name ${JSON.stringify(route.name)}`, hint: `first used by routes[${first}]` });
  });

  // `upstreams` may be left out (it defaults to {}); any other non-object is the schema's to report.
  const upstreams = data.upstreams === undefined ? {} : data.upstreams;
  if (isObject(upstreams)) {
    const names = Object.keys(upstreams);
    routes.forEach((route, index) => {
      const name = route.upstream;
      if (typeof name !== 'string' || Object.hasOwn(upstreams, name)) return;
      const shown = names.slice(0, 8).map((n) => JSON.stringify(n)).join(', ') + (names.length > 8 ? ', ...' : '');
      const hint = names.length === 0 ? 'no upstreams are defined' : suggestion(name, names) ?? `defined upstreams: ${shown}`;
      problems.push({ path: ['routes', index, 'upstream'], message: `unknown upstream ${JSON.stringify(name)}`, hint });
    });
  }
  return problems;
}
