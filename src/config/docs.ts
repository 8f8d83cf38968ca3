/**
 * The configuration reference, generated from the schema (the single source of truth for
 * keys, types, defaults and descriptions), plus the small schema introspection helpers it
 * needs. The loader reuses the same helpers to find the keys allowed at a path (for "did you
 * mean") and the type expected there (for env interpolation), so they live here, in the one
 * module that already knows how to walk the schema, rather than in a third file.
 *
 * Only the input side matters here: users write the input (`30s`), the runtime sees the
 * output (30000), so pipes are followed into their `in` schema.
 */
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { configSchema } from './schema.js';

/** Any zod schema. */
export type Schema = z.core.$ZodType;
/** One step of a key path: an object key or a list index. */
export type PathSegment = string | number;

type SchemaDef = z.core.$ZodTypes['_zod']['def'];

function defOf(schema: Schema): SchemaDef {
  // Every concrete zod schema is one of $ZodTypes; the cast gives the discriminated union of defs.
  return (schema as z.core.$ZodTypes)._zod.def;
}

/** What a field looks like once its wrappers (optional, default, prefault, pipe...) are peeled off. */
export interface FieldInfo {
  /** The innermost schema: object, array, record, string, number, union, enum... */
  schema: Schema;
  /** The first description found, outermost wrapper first. */
  description?: string;
  /** `duration` or `size` for unit fields (set with `.meta({ format })`). */
  format?: string;
  /** True when the key must be given (no default, not optional). */
  required: boolean;
  /** True when the key has a default (`default` or `prefault`). */
  hasDefault: boolean;
  /** The default: an output value for `.default()`, an input value for `.prefault()`. */
  defaultValue?: unknown;
  /** Whether `defaultValue` is already parsed (true for `.default()`). */
  defaultIsOutput?: boolean;
}

/** Peels the wrappers off a field schema and collects what they say about the field. */
export function fieldInfo(schema: Schema): FieldInfo {
  const info: FieldInfo = { schema, required: true, hasDefault: false };
  let current = schema;
  for (let depth = 0; depth < 64; depth++) {
    const meta = z.globalRegistry.get(current);
    if (info.description === undefined && typeof meta?.description === 'string') info.description = meta.description;
    if (info.format === undefined && typeof meta?.format === 'string') info.format = meta.format;
    const def = defOf(current);
    switch (def.type) {
      case 'optional':
        info.required = false;
        current = def.innerType;
        continue;
      case 'default':
      case 'prefault':
        info.required = false;
        if (!info.hasDefault) {
          info.hasDefault = true;
          info.defaultValue = def.defaultValue;
          info.defaultIsOutput = def.type === 'default';
        }
        current = def.innerType;
        continue;
      case 'nullable':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        current = def.innerType;
        continue;
      case 'pipe':
        // Users write the input side; a preprocess step (a transform first) says nothing, so look past it.
        current = defOf(def.in).type === 'transform' ? def.out : def.in;
        continue;
      case 'lazy':
        current = def.getter();
        continue;
      default:
        info.schema = current;
        return info;
    }
  }
  info.schema = current;
  return info;
}

/** The field schema at a key path (list indexes and record keys included), or undefined. */
export function schemaAtPath(root: Schema, path: readonly PathSegment[]): Schema | undefined {
  let current: Schema | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childSchema(current, segment);
  }
  return current;
}

function childSchema(schema: Schema, segment: PathSegment): Schema | undefined {
  const def = defOf(fieldInfo(schema).schema);
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      return typeof segment === 'string' && Object.hasOwn(shape, segment) ? shape[segment] : undefined;
    }
    case 'array':
      return typeof segment === 'number' ? def.element : undefined;
    case 'record':
      return def.valueType;
    case 'union':
      for (const option of def.options) {
        const found = childSchema(option, segment);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The keys allowed in the object at a path (all options of a union of objects), or undefined. */
export function objectKeysAt(root: Schema, path: readonly PathSegment[]): string[] | undefined {
  const schema = schemaAtPath(root, path);
  return schema === undefined ? undefined : objectKeys(schema);
}

/** The keys of an object schema (after unwrapping), or undefined if it is not an object. */
export function objectKeys(schema: Schema): string[] | undefined {
  const def = defOf(fieldInfo(schema).schema);
  if (def.type === 'object') return Object.keys(def.shape);
  if (def.type === 'union') {
    const keys = new Set<string>();
    for (const option of def.options) for (const key of objectKeys(option) ?? []) keys.add(key);
    return keys.size > 0 ? [...keys] : undefined;
  }
  return undefined;
}

/** `duration`, `size` or undefined: the unit format of the field at a path. */
export function formatAt(root: Schema, path: readonly PathSegment[]): string | undefined {
  const schema = schemaAtPath(root, path);
  return schema === undefined ? undefined : fieldInfo(schema).format;
}

/** Whether a field accepts a value of this JS type (used to type env-substituted values). */
export function acceptsType(schema: Schema, kind: 'number' | 'boolean' | 'string'): boolean {
  const def = defOf(fieldInfo(schema).schema);
  switch (def.type) {
    case 'number':
      return kind === 'number';
    case 'boolean':
      return kind === 'boolean';
    case 'string':
      return kind === 'string';
    case 'literal':
      return def.values.some((v) => typeof v === kind);
    case 'enum':
      return Object.values(def.entries).some((v) => typeof v === kind);
    case 'union':
      return def.options.some((option) => acceptsType(option, kind));
    case 'any':
    case 'unknown':
      return true;
    default:
      return false;
  }
}

/**
 * The messages schemas give for their own rules (`.refine(fn, 'message')`, `.regex(re,
 * 'message')`), for the docs. zod keeps such a message as an error-map function on the check;
 * called with a minimal issue it returns the string it was given. A `startsWith` without a
 * message is described from its prefix.
 */
function ruleMessages(schema: Schema): string[] {
  const messages: string[] = [];
  for (const check of defOf(schema).checks ?? []) {
    const def = check._zod.def;
    if (def.error !== undefined) {
      // The check's error map is typed for `never` issues (any check); these maps ignore the issue.
      const errorMap = def.error as z.core.$ZodErrorMap<z.core.$ZodIssueCustom>;
      const result = errorMap({ code: 'custom', input: undefined, path: [] });
      const message = typeof result === 'string' ? result : result?.message;
      if (message) messages.push(message);
    } else if (def.check === 'string_format') {
      const format = def as z.core.$ZodCheckStartsWithDef;
      if (format.format === 'starts_with') messages.push(`expected a string starting with ${format.prefix}`);
    }
  }
  return messages;
}

/** `expected an IP address` → `must be an IP address`; other messages stay as they are. */
function asRequirement(message: string, subject: string): string {
  return message.startsWith('expected ') ? `${subject} must be ${message.slice('expected '.length)}` : `${subject}: ${message}`;
}

/** Rules a field must follow beyond its type: its own, and those of its list items or map values. */
function rulesOf(info: FieldInfo): string[] {
  const def = defOf(info.schema);
  const own = ruleMessages(info.schema).map((m) => (def.type === 'object' ? `Rule: ${m}` : asRequirement(m, 'Value')));
  if (def.type === 'array') own.push(...ruleMessages(fieldInfo(def.element).schema).map((m) => asRequirement(m, 'Each item')));
  if (def.type === 'record') {
    own.push(...ruleMessages(fieldInfo(def.keyType).schema).map((m) => asRequirement(m, 'Each key')));
    if (objectKeys(def.valueType) === undefined) own.push(...ruleMessages(fieldInfo(def.valueType).schema).map((m) => asRequirement(m, 'Each value')));
  }
  return own;
}

function minLength(schema: Schema): number | undefined {
  for (const check of defOf(schema).checks ?? []) {
    if (check._zod.def.check === 'min_length') return (check as z.core.$ZodCheckMinLength)._zod.def.minimum;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering values and types for users

/** 90000 → `90s`, 3600000 → `1h`: the largest unit that divides the value. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** 16384 → `16KiB`, 10485760 → `10MiB`; other values stay a byte count. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

const PLAIN_YAML = /^[A-Za-z_/.][A-Za-z0-9_./ -]*$/;
const YAML_WORDS = /^(true|false|null|yes|no|on|off|~)$/i;

/** A value as it would be written in YAML flow style. */
function yamlFlow(value: unknown): string {
  if (typeof value === 'string') return PLAIN_YAML.test(value) && !YAML_WORDS.test(value) && !value.endsWith(' ') ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(yamlFlow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${yamlFlow(k)}: ${yamlFlow(v)}`).join(', ')} }`;
  }
  return String(value);
}

function code(text: string): string {
  return `\`${text}\``;
}

/** How a field's type is shown in the reference. */
export function typeName(schema: Schema): string {
  const info = fieldInfo(schema);
  if (info.format === 'duration' || info.format === 'size') return info.format;
  const inner = info.schema;
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number': {
      const n = inner as z.ZodNumber;
      const bounds: string[] = [];
      const limit = Number.MAX_SAFE_INTEGER;
      if (n.minValue !== null && Math.abs(n.minValue) < limit) bounds.push(`min ${n.minValue}`);
      if (n.maxValue !== null && Math.abs(n.maxValue) < limit) bounds.push(`max ${n.maxValue}`);
      const base = n.isInt ? 'integer' : 'number';
      return bounds.length > 0 ? `${base} (${bounds.join(', ')})` : base;
    }
    case 'enum':
      return `one of ${Object.values(def.entries).map((v) => code(String(v))).join(', ')}`;
    case 'literal':
      return `one of ${def.values.map((v) => code(String(v))).join(', ')}`;
    case 'union': {
      const literals = def.options.map((o) => defOf(fieldInfo(o).schema)).filter((d) => d.type === 'literal');
      if (literals.length === def.options.length) {
        return `one of ${literals.flatMap((d) => d.values).map((v) => code(String(v))).join(', ')}`;
      }
      return def.options.map(typeName).join(' or ');
    }
    case 'array': {
      const min = minLength(inner);
      const base = `list of ${typeName(def.element)}`;
      return min !== undefined && min > 0 ? `${base} (at least ${min})` : base;
    }
    case 'record':
      return `map of ${typeName(def.valueType)}`;
    case 'object':
      return 'object';
    default:
      return def.type;
  }
}

/** How a field's default is shown in the reference. */
function defaultText(info: FieldInfo): string {
  if (info.required) return '**required**';
  if (!info.hasDefault) return '—';
  const value = info.defaultValue;
  if (typeof value === 'number' && info.defaultIsOutput) {
    if (info.format === 'duration') return code(formatDuration(value));
    if (info.format === 'size') return code(formatSize(value));
  }
  return code(yamlFlow(value));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// The reference

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

interface Section {
  key: string;
  info: FieldInfo;
  type: string;
  rows: Row[];
}

/** Ends a text with a full stop (descriptions are written as sentences, but not always closed). */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function describe(info: FieldInfo, extra: readonly string[] = []): string {
  const parts = [info.description ?? '', ...extra].filter((p) => p !== '').map(sentence);
  return parts.join(' ');
}

/** Collects the rows for the children of an object/list/map schema found at `path`. */
function collectRows(schema: Schema, path: string, rows: Row[], missing: string[]): void {
  const def = defOf(fieldInfo(schema).schema);
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, Schema>)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const info = fieldInfo(child);
      if (info.description === undefined) missing.push(childPath);
      rows.push({ key: childPath, type: typeName(child), default: defaultText(info), description: describe(info, rulesOf(info)) });
      collectRows(child, childPath, rows, missing);
    }
  } else if (def.type === 'array') {
    collectRows(def.element, `${path}[]`, rows, missing);
  } else if (def.type === 'record') {
    collectRows(def.valueType, `${path}.<name>`, rows, missing);
  }
}

function collectSections(): { sections: Section[]; missing: string[] } {
  const missing: string[] = [];
  const sections: Section[] = [];
  for (const [key, child] of Object.entries(configSchema.shape as Record<string, Schema>)) {
    const info = fieldInfo(child);
    if (info.description === undefined) missing.push(key);
    const rows: Row[] = [];
    collectRows(child, key, rows, missing);
    sections.push({ key, info, type: typeName(child), rows });
  }
  return { sections, missing };
}

/**
 * A complete example: every key of the schema appears at least once (the generator warns when
 * one does not). The generator also loads it, so it cannot drift from the schema.
 */
export const EXAMPLE_CONFIG = `# barbican.yaml: every key, with example values.
server:
  workers: 1                    # or "auto" (one per core); >1 runs a supervisor + workers
  trustedProxies: [10.0.0.0/8, "2001:db8::/32"]
  hideResponseHeaders: [server, x-powered-by, x-aspnet-version, x-aspnetmvc-version]
  limits:
    maxHeaderBytes: 16KiB
    maxUrlBytes: 8KiB
    maxHeaderCount: 100
    maxBodyBytes: 10MiB
    headersTimeout: 10s
    requestTimeout: 60s
    keepAliveTimeout: 5s
    sendTimeout: 60s
    websocketIdleTimeout: 10m
    maxConnections: 10000
    maxConnectionsPerIp: 0
  http2:                        # listeners with http2 or h2c
    maxConcurrentStreams: 100
    maxStreamResetsPerSecond: 100   # rapid-reset guard (CVE-2023-44487)
    maxControlFramesPerSecond: 100  # PING / SETTINGS flood guard
    maxSessionMemory: 16MiB
    initialWindowSize: 64KiB
  shutdownTimeout: 30s

listeners:
  - name: web
    address: \${BARBICAN_ADDRESS:-0.0.0.0:8080}
    redirectToHttps: true       # 308 to the first TLS listener (ACME HTTP-01 still answered)
    h2c: false                  # true: also cleartext HTTP/2 with prior knowledge (gRPC inside a network)
  - name: websecure
    address: 0.0.0.0:8443
    http2: true                 # ALPN h2, then http/1.1
    tls:
      minVersion: TLSv1.2       # TLSv1.2 | TLSv1.3
      certificates:             # chosen by SNI; the first is the default
        - certFile: certs/example.com.pem
          keyFile: certs/example.com.key
      acme:                     # automatic certificates (RFC 8555)
        directoryUrl: https://acme-v02.api.letsencrypt.org/directory
        email: ops@example.com
        domains: [shop.example.com, www.shop.example.com]
        storageDir: ./acme
        caFile: ./pebble.minica.pem   # only for a private ACME server
        renewBefore: 720h
        challenge: http-01      # http-01 | tls-alpn-01

upstreams:
  app:
    targets:
      - url: http://127.0.0.1:3001
      - url: http://127.0.0.1:3002
        weight: 3
      - url: http://127.0.0.1:3003
        backup: true            # only when no primary target is available
    balancer: roundRobin        # roundRobin | leastConnections | leastLatency | random | hash
    hashOn: ip                  # for balancer: hash — ip | path | header:NAME | cookie:NAME
    sticky: { cookie: barbican_srv, ttl: 1h, secret: "\${STICKY_SECRET:-change-me-to-a-long-secret}" }
    slowStart: 30s
    healthCheck:
      path: /healthz
      interval: 5s
      timeout: 2s
      healthyThreshold: 2
      unhealthyThreshold: 3
      expectStatus: 200-399
      host: app.internal
    outlierDetection: { enabled: true, consecutiveFailures: 5, baseEjectionTime: 30s, maxEjectionPercent: 50 }
    retries:
      attempts: 2
      on: [connectFailure, reset, timeout, 502, 503, 504]
      budgetPercent: 20
      perTryTimeout: 10s
      backoff: { base: 25ms, max: 250ms }
      maxReplayBytes: 64KiB
    timeouts: { connect: 5s, responseHeaders: 60s, idle: 60s }
    maxConnectionsPerTarget: 1024
    maxPending: 1024            # beyond this, fail fast with 503
    protocol: http1             # http1 | http2 (h2 over https://, h2c over http://; gRPC needs http2)
  secure-app:
    targets:
      - url: https://app.internal:8443
    tls:
      verify: true
      caFile: ca.pem
      certFile: client.pem
      keyFile: client.key
      serverName: app.internal

routes:                         # tried in order; the first match wins
  - name: api
    match:
      hosts: [api.example.com, "*.example.com"]
      pathPrefix: /v1/
      methods: [GET, POST]
      headers: { x-canary: "1" }
    upstream: app               # exactly one of: upstream | redirect | respond
    rewrite: { stripPrefix: /v1, addPrefix: /api, host: keep }
    requestHeaders: { set: { x-env: prod }, add: { via: barbican }, remove: [x-debug] }
    responseHeaders: { set: { strict-transport-security: max-age=63072000 }, add: {}, remove: [x-internal] }
    maxBodyBytes: 1MiB
    websocket: true           # WebSocket handshakes become tunnels after the target's 101
    timeouts: { responseHeaders: 30s, idle: 30s, websocketIdle: 30m }
    access:                     # IP rules, then every authentication given, then rateLimit
      allow: [10.0.0.0/8, "2001:db8::/32"]
      deny: [10.0.0.13]
      apiKeys: { header: x-api-key, query: api_key, keysFile: ./api-keys }   # SHA-256 digests
      jwt:
        jwksUrl: https://auth.example.com/.well-known/jwks.json   # or secret / publicKeyFile
        jwksCacheMaxAge: 10m
        jwksCooldown: 30s
        jwksTimeout: 5s
        issuer: https://auth.example.com/
        audiences: [api]
        algorithms: [RS256, ES256]
        clockSkew: 30s
        forwardClaims: { sub: x-user-id }
      forwardAuth:
        url: http://127.0.0.1:9000/verify
        copyRequestHeaders: [authorization, cookie]
        copyResponseHeaders: [x-user-roles]
        timeout: 5s
    rateLimit: { requests: 100, per: 1s, burst: 20, key: apiKey, maxKeys: 100000, scope: shared }   # key: ip | header:NAME | jwt:CLAIM | apiKey
  - name: staff
    match: { pathPrefix: /staff/ }
    upstream: app
    access:
      basicAuth: { realm: Staff, usersFile: ./htpasswd }   # bcrypt or $scrypt$ hashes
  - name: internal
    match: { pathPrefix: /internal/ }
    upstream: app
    access:
      jwt: { secret: "\${JWT_SECRET:-change-me-to-a-secret-of-32-characters-or-more}", algorithms: [HS256] }
    rateLimit: { requests: 10, per: 1s, key: "jwt:sub" }
  - name: partners
    match: { pathPrefix: /partners/ }
    upstream: app
    access:
      jwt: { publicKeyFile: ./partner-issuer.pem, issuer: partner, audiences: [barbican] }
  - name: items
    match: { pathRegex: "^/items/[0-9]+$" }
    upstream: secure-app
    cache:                      # RFC 9111 shared cache; Cache-Status (RFC 9211) on every response
      enabled: true
      maxObjectBytes: 8MiB
      staleWhileRevalidate: 0s  # used when the response does not say
      staleIfError: 0s
      key: { ignoreQueryParams: [utm_*], headers: [] }
    compression:                # gzip / br for clients that accept it (docs/compression.md)
      enabled: true
      algorithms: [br, gzip]    # order of preference; zstd too on Node.js 22.15+
      minBytes: 1KiB
      types: [text/html, text/css, text/javascript, application/json, "application/*+json", image/svg+xml]
      level: { br: 4, gzip: 5, zstd: 3 }
  - name: old-site
    match: { hosts: [old.example.com] }
    redirect: { to: "https://example.com{path}{query}", status: 308 }
  - name: ping
    match: { path: /ping }
    respond: { status: 200, body: "pong\\n", headers: { content-type: text/plain } }

cache:
  maxBytes: 256MiB              # in-memory store shared by every route with cache.enabled

state:                          # shared by every instance of a fleet (optional; docs/deployment.md)
  redis:
    url: \${REDIS_URL:-redis://127.0.0.1:6379}   # redis[s]://[user:password@]host:port[/db]
    keyPrefix: "barbican:"
    # sentinels: [10.0.0.5:26379, 10.0.0.6:26379]   # Sentinel (with sentinelName), or:
    # cluster: [10.0.0.7:6379, 10.0.0.8:6379]       # Redis Cluster seed nodes
    sentinelName: mymaster
    connectTimeout: 2s
    commandTimeout: 250ms       # then the use falls back (rate limit: onFailure; cache: local)
    reconnect: { minDelay: 100ms, maxDelay: 5s }
    breaker: { failures: 5, openTime: 2s }
    rateLimit: { enabled: true, onFailure: local, maxLease: 32, leaseTime: 1s }   # onFailure: local | open | closed
    cache: { enabled: true, maxObjectBytes: 1MiB, lockTime: 10s }
    shareEjections: true

logging:
  level: info
  accessLog: { output: stdout, format: json }

admin:                          # separate listener: JSON API and /metrics (off unless configured)
  address: 127.0.0.1:9901
  token: \${BARBICAN_ADMIN_TOKEN:-}   # bearer token; required when the address is not loopback

metrics: { enabled: true }      # Prometheus text at GET /metrics on the admin listener
`;

/** Key paths (as shown in the reference) that the example file uses. */
function examplePaths(): Set<string> {
  const found = new Set<string>();
  const data: unknown = parseDocument(EXAMPLE_CONFIG).toJS();
  const walk = (value: unknown, schema: Schema, path: string): void => {
    const def = defOf(fieldInfo(schema).schema);
    if (def.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const shape = def.shape as Record<string, Schema>;
      for (const [key, child] of Object.entries(value)) {
        const childSchema = shape[key];
        if (childSchema === undefined) continue;
        const childPath = path === '' ? key : `${path}.${key}`;
        found.add(childPath);
        walk(child, childSchema, childPath);
      }
    } else if (def.type === 'array' && Array.isArray(value)) {
      for (const item of value) walk(item, def.element, `${path}[]`);
    } else if (def.type === 'record' && value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) walk(item, def.valueType, `${path}.<name>`);
    }
  };
  walk(data, configSchema, '');
  return found;
}

/** The generated reference, and warnings about gaps in the schema or the example. */
export interface ConfigDocs {
  markdown: string;
  warnings: string[];
}

/** Renders `docs/configuration.md` from the schema. Deterministic: same schema, same bytes. */
export function generateConfigDocs(): ConfigDocs {
  const { sections, missing } = collectSections();
  const inExample = examplePaths();
  const warnings: string[] = [];
  for (const key of missing) warnings.push(`no description in the schema for ${key}`);
  for (const section of sections) {
    if (!inExample.has(section.key)) warnings.push(`the example does not show ${section.key}`);
    for (const row of section.rows) if (!inExample.has(row.key)) warnings.push(`the example does not show ${row.key}`);
  }

  const out: string[] = [];
  out.push(
    '<!-- Generated from the configuration schema by scripts/gen-config-docs.mjs. Do not edit by hand: -->',
    '<!-- change the schema (src/*/config.ts), then run `npm run build && npm run docs:config`. -->',
    '',
    '# Configuration reference',
    '',
    'Barbican reads one configuration file, written in YAML (JSON is valid YAML too):',
    '',
    '```',
    'barbican --config barbican.yaml          # run',
    'barbican check --config barbican.yaml    # validate: print every problem, exit 0 (valid) or 2 (invalid)',
    '```',
    '',
    '## How the file is read',
    '',
    '- **One YAML document.** Keys are camelCase and case-sensitive. Anchors and aliases (`&name`, `*name`) may be used;',
    '  merge keys (`<<`) are not supported.',
    '- **Strict.** An unknown key is an error, with a suggestion when a known key is close (`unknown key "trustedProxy"',
    '  (did you mean "trustedProxies"?)`). A key given twice in the same mapping is an error.',
    '- **Every problem at once.** Loading reports all problems together, one line each, with the file, line and column',
    '  of the offending value (of the key, for an unknown key; of the enclosing mapping, for a missing key) and its key path:',
    '',
    '  ```',
    '  barbican.yaml:12:5: routes[2].upstream: unknown upstream "ap" (did you mean "app"?)',
    '  barbican.yaml:3:21: server.limits.headersTimeout: expected a duration like 250ms, 30s, 5m or 1h, got "10 secs"',
    '  ```',
    '',
    '- **Cross-references are checked.** Every `routes[].upstream` must name a key of `upstreams`; listener names, listener',
    '  addresses and route names must be unique. An upstream that no route uses is allowed.',
    '',
    '### Environment variables',
    '',
    '- `${NAME}` is replaced by the environment variable `NAME`. It is an error if `NAME` is not set (set but empty is fine).',
    '- `${NAME:-default}` uses `default` when `NAME` is unset or empty. The default is plain text up to the first `}`.',
    '- `$${` stands for a literal `${`.',
    '- Replacement happens inside values only (not keys, not comments), after the YAML is parsed, so a variable can never',
    '  add keys or change the structure of the file.',
    '- The result is a string. In an unquoted value, where the key takes a number or `true`/`false`, a result that looks',
    '  like one is read as one (`maxConnections: ${MAX_CONN:-10000}`). A quoted value always stays a string.',
    '- Inside a flow collection (`{ ... }` or `[ ... ]`), quote a value that contains `${...}`: `{ url: "${APP_URL}" }`.',
    '',
    '### Durations and sizes',
    '',
    '- A **duration** is a number with a unit: `250ms`, `30s`, `1.5m`, `1h`. A bare number is milliseconds.',
    '- A **size** is a number with a unit: `512KiB`, `10MiB`, `1GiB` (powers of 1024) or `100kB`, `10MB`, `1GB`',
    '  (powers of 1000), or a bare number of bytes. Units are case-insensitive.',
    '',
    '### Reading the tables',
    '',
    'Key paths use `[]` for "every item of the list" and `<name>` for "any name you choose". **required** means the key',
    'must be given; — means it is optional and has no default. An object key with default `{}` may be left out: each of',
    'its keys then takes its own default.',
    '',
    '## Sections',
    '',
  );
  for (const section of sections) {
    const about = sentence(section.info.description ?? '');
    out.push(`- [\`${section.key}\`](#${section.key.toLowerCase()})${about === '' ? '' : `: ${about}`}`);
  }
  out.push('', '## Example', '', 'A complete file, using every key:', '', '```yaml', EXAMPLE_CONFIG.trimEnd(), '```', '');
  for (const section of sections) {
    out.push(`## ${section.key}`, '');
    const about = describe(section.info, rulesOf(section.info));
    if (about !== '') out.push(about, '');
    out.push(`Type: ${section.type}. Default: ${defaultText(section.info)}.`, '');
    if (section.rows.length > 0) {
      out.push('| Key | Type | Default | Description |', '| --- | --- | --- | --- |');
      for (const row of section.rows) {
        out.push(`| ${code(row.key)} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
      }
      out.push('');
    }
  }
  return { markdown: `${out.join('\n').trimEnd()}\n`, warnings };
}
