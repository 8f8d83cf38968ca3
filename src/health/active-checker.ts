/**
 * Active health checks: every target of an upstream is asked for `path` periodically, and a
 * target that fails `unhealthyThreshold` checks in a row is taken out of rotation until it
 * passes `healthyThreshold` in a row. This finds a dead target before a user request does,
 * and brings it back without sending real traffic to find out (what passive detection alone
 * has to do).
 *
 * Semantics follow Caddy's active health checks (path, interval, timeout, expected status,
 * Host override; https://caddyserver.com/docs/caddyfile/directives/reverse_proxy#active-health-checks)
 * with Envoy's healthy/unhealthy thresholds and interval jitter so that the checks of many
 * targets (and many proxies) do not align
 * (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking).
 *
 * Each target gets its own undici Client so that one slow target never queues the checks of
 * another, and a check never shares a connection with user traffic (the proxy's own pools
 * live in upstream/, which health/ must not import).
 */
import type { ConnectionOptions } from 'node:tls';
import type { Client } from 'undici';
import { lazyModule } from '../lazy-module.js';
import type { TargetState } from '../balancer/index.js';
import type { Logger } from '../observability/logger.js';
import type { HealthCheckConfig } from './config.js';
import { isInStatusRange, parseStatusRange, type StatusRange } from './status-range.js';

/** The checks run at `interval` ± this fraction, drawn anew for every check. */
const JITTER = 0.1;
/**
 * Least pause between the end of one check and the start of the next, so that a check slower
 * than the interval (timeout ≥ interval) or an interval of 0 never turns into a busy loop
 * against a struggling target.
 */
const MIN_GAP_MS = 50;
const USER_AGENT = 'barbican-health-check';

export interface ActiveCheckerOptions {
  /** Upstream name, for the log. */
  upstream: string;
  targets: readonly TargetState[];
  config: HealthCheckConfig;
  /** TLS options for https targets (ca, cert, key, rejectUnauthorized, servername). */
  tls?: ConnectionOptions;
  logger: Logger;
  /** Called once per verdict change, after TargetState has been updated. */
  onChange?: (target: TargetState, healthy: boolean, reason: string) => void;
}

export interface ActiveChecker {
  /** Checks every target now, then every interval (± jitter). Calling it again does nothing. */
  start(): void;
  /** Cancels timers, aborts checks in flight and closes the connections. Final. */
  stop(): Promise<void>;
}

/** Outcome of one check. */
interface CheckResult {
  ok: boolean;
  /** Why, in a few words (status or error), for the log. */
  reason: string;
}

/** Per-target bookkeeping. The streaks are the checker's own: TargetState keeps only the verdict. */
interface Probe {
  readonly target: TargetState;
  readonly origin: string;
  /** Host header sent. */
  readonly host: string;
  /** The target URL without credentials, for the log. */
  readonly logUrl: string;
  client: Client | null;
  timer: NodeJS.Timeout | null;
  /** Aborts the check in flight (set while one runs). */
  controller: AbortController | null;
  inFlight: Promise<void> | null;
  passes: number;
  failures: number;
}

/** Builds the checker of one upstream's targets; nothing runs until start(). */
export function createActiveChecker(options: ActiveCheckerOptions): ActiveChecker {
  const { config, logger } = options;
  // Parsed once here, never per check.
  const expected = parseStatusRange(config.expectStatus);
  const probes = options.targets.map((target) => createProbe(target, config.host));
  let started = false;
  let stopped = false;

  function schedule(probe: Probe, delay: number): void {
    probe.timer = setTimeout(() => {
      probe.timer = null;
      run(probe);
    }, delay);
    // A pending check must never keep the process alive.
    probe.timer.unref();
  }

  /** Runs one check, records it, and schedules the next one (start-to-start = interval ± jitter). */
  function run(probe: Probe): void {
    if (stopped || probe.client === null) return;
    const startedAt = Date.now();
    const controller = new AbortController();
    probe.controller = controller;
    // check() settles with a result, never a rejection; record() is guarded so that a
    // throwing logger can never end the schedule of this target.
    probe.inFlight = check(probe.client, probe.host, controller, config, expected, options.tls?.servername).then((result) => {
      probe.controller = null;
      probe.inFlight = null;
      if (stopped) return;
      try {
        record(probe, result);
      } catch (err) {
        logger.error({ upstream: options.upstream, target: probe.logUrl, err }, 'health check bookkeeping failed');
      }
      const elapsed = Date.now() - startedAt;
      schedule(probe, Math.max(MIN_GAP_MS, jittered(config.interval) - elapsed));
    });
  }

  function record(probe: Probe, result: CheckResult): void {
    const { target } = probe;
    if (result.ok) {
      probe.failures = 0;
      probe.passes += 1;
      if (!target.healthy && probe.passes >= config.healthyThreshold) {
        transition(probe, true, `passed ${inARow(probe.passes)} (last: ${result.reason})`);
      }
    } else {
      probe.passes = 0;
      probe.failures += 1;
      if (target.healthy && probe.failures >= config.unhealthyThreshold) {
        transition(probe, false, `failed ${inARow(probe.failures)} (last: ${result.reason})`);
      }
    }
  }

  function transition(probe: Probe, healthy: boolean, reason: string): void {
    probe.target.setHealthy(healthy, Date.now());
    const fields = { upstream: options.upstream, target: probe.logUrl, reason };
    if (healthy) logger.info(fields, 'target healthy again');
    else logger.warn(fields, 'target unhealthy');
    try {
      options.onChange?.(probe.target, healthy, reason);
    } catch (err) {
      logger.error({ upstream: options.upstream, target: probe.logUrl, err }, 'health change listener failed');
    }
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      for (const probe of probes) {
        probe.client = createClient(probe.origin, config.timeout, probe.origin.startsWith('https:') ? options.tls : undefined);
        // First check right away, so that a target dead at start is out within the thresholds.
        run(probe);
      }
    },

    async stop() {
      stopped = true;
      const pending: Promise<void>[] = [];
      for (const probe of probes) {
        if (probe.timer !== null) clearTimeout(probe.timer);
        probe.timer = null;
        probe.controller?.abort();
        if (probe.inFlight !== null) pending.push(probe.inFlight);
      }
      await Promise.allSettled(pending);
      const closing: Promise<void>[] = [];
      for (const probe of probes) {
        if (probe.client !== null) closing.push(probe.client.destroy());
        probe.client = null;
      }
      await Promise.allSettled(closing);
    },
  };
}

function createProbe(target: TargetState, hostOverride: string | undefined): Probe {
  const url = new URL(target.url);
  let logUrl = target.url;
  if (url.username !== '' || url.password !== '') {
    const clean = new URL(target.url);
    clean.username = '';
    clean.password = '';
    logUrl = clean.href;
  }
  return {
    target,
    origin: url.origin,
    host: hostOverride ?? url.host,
    logUrl,
    client: null,
    timer: null,
    controller: null,
    inFlight: null,
    passes: 0,
    failures: 0,
  };
}

/** undici, loaded with the first health check (lazy-module.ts). */
const undici = lazyModule<typeof import('undici')>('undici');

function createClient(origin: string, timeout: number, tls: ConnectionOptions | undefined): Client {
  return new (undici().Client)(origin, {
    connect: { ...tls, timeout },
    headersTimeout: timeout,
    bodyTimeout: timeout,
    // One check at a time per target: no pipelining, one keep-alive connection reused.
    pipelining: 1,
  });
}

/**
 * One GET of `config.path`. Settles with a result, never rejects. The whole response (head
 * and body) must arrive within `config.timeout`; undici's own timeouts cover connect, head
 * and idle body, the deadline here covers a body that trickles in.
 */
async function check(
  client: Client,
  host: string,
  controller: AbortController,
  config: HealthCheckConfig,
  expected: StatusRange,
  servername: string | undefined,
): Promise<CheckResult> {
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeout);
  deadline.unref();
  try {
    const res = await client.request({
      method: 'GET',
      path: config.path,
      headers: { host, 'user-agent': USER_AGENT },
      signal: controller.signal,
      // undici derives SNI from the Host header; an explicitly configured one wins.
      ...(servername !== undefined ? { servername } : {}),
    });
    // Read the body to its end (in constant memory) so the connection can be reused and a
    // response that never completes fails.
    for await (const chunk of res.body) void chunk;
    if (isInStatusRange(res.statusCode, expected)) return { ok: true, reason: `status ${res.statusCode}` };
    return { ok: false, reason: `status ${res.statusCode}, expected ${config.expectStatus}` };
  } catch (err) {
    if (timedOut) return { ok: false, reason: `no complete response within ${config.timeout}ms` };
    return { ok: false, reason: describeError(err) };
  } finally {
    clearTimeout(deadline);
  }
}

/** Error text for the log: the message and, when there is one, the code (ECONNREFUSED, UND_ERR_…). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

function inARow(n: number): string {
  return n === 1 ? '1 check' : `${n} checks in a row`;
}

/** `interval` ± JITTER, uniformly. */
function jittered(interval: number): number {
  return interval * (1 - JITTER + 2 * JITTER * Math.random());
}
