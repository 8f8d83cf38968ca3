/**
 * Hot reload: the runtime reference the pipeline reads, and how it is replaced. A reload loads
 * and validates the config file again; an invalid file changes nothing (its problems are logged
 * with file:line and kept for the admin API). A valid one is built beside the running runtime
 * (same TargetStateRegistry, so health survives; rate-limit buckets survive through the
 * limiter registry), started, swapped in with one assignment, and the old runtime is closed once
 * the requests it was serving have ended: in-flight requests are never cut by a reload.
 *
 * Listeners are bound once: an address change cannot be applied by a reload and is reported
 * as a warning (the old listeners keep serving). Limits and everything else apply at once.
 */
import { TargetStateRegistry } from './balancer/index.js';
import { formatProblem, loadConfigFile } from './config/index.js';
import type { Config } from './config/schema.js';
import type { AdminHost, ReloadReport } from './admin/host.js';
import type { Logger } from './observability/logger.js';
import { sharedMetrics } from './observability/metrics.js';
import { buildRuntime, closeRuntime, startRuntime, type Runtime } from './proxy/runtime.js';
import type { RequestHandler } from './server/http1-connection.js';
import { sharedLimiters } from './access/index.js';
import { sharedState, type StateBinding } from './state/index.js';

/**
 * The shared state (state.redis) for `config`: connects (or keeps the connection), and makes
 * the rate limits with scope shared use Redis. Before the runtime is built, which uses both.
 */
function bindState(config: Config, logger: Logger): StateBinding {
  const binding = sharedState.configure(config.state.redis, logger);
  sharedLimiters.useShared(binding.limiters);
  return binding;
}

/** How often a replaced runtime is checked for its last request. */
const RETIRE_POLL_MS = 25;

export interface RuntimeHolderOptions {
  config: Config;
  logger: Logger;
  /** The file reloads read; undefined (the demo) makes a reload fail with a clear message. */
  configFile: string | undefined;
  /** Open client connections (from the listeners). */
  connections(): number;
  /**
   * The target states to build with (default: a new registry). A worker passes its own, which
   * already holds the instance's drains when the first runtime is built (workers/worker.ts).
   */
  registry?: TargetStateRegistry;
}

export class RuntimeHolder implements AdminHost {
  /** The runtime new requests are handled by. */
  current: Runtime;
  private readonly registry: TargetStateRegistry;
  private readonly logger: Logger;
  private readonly configFile: string | undefined;
  /** The config the process started with: listeners and admin address stay as bound. */
  private readonly boundConfig: Config;
  private last: ReloadReport | undefined;
  /** Reloads run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Replaced runtimes still finishing requests. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly options: RuntimeHolderOptions;

  constructor(options: RuntimeHolderOptions) {
    this.options = options;
    this.logger = options.logger;
    this.configFile = options.configFile;
    this.boundConfig = options.config;
    this.registry = options.registry ?? new TargetStateRegistry();
    this.current = buildRuntime(options.config, options.logger, this.registry, undefined, bindState(options.config, options.logger));
  }

  runtime(): Runtime {
    return this.current;
  }

  lastReload(): ReloadReport | undefined {
    return this.last;
  }

  connections(): number {
    return this.options.connections();
  }

  inFlight(): number {
    return sharedMetrics.inFlight;
  }

  setDraining(targetId: string, draining: boolean): boolean {
    return this.registry.setDraining(targetId, draining, Date.now());
  }

  /** The ids (`<upstream>|<url>`) of the targets of the running configuration. */
  targetIds(): string[] {
    return this.registry.ids();
  }

  /**
   * Wraps the pipeline so each request is counted on the runtime that handles it (log() counts
   * it down), which tells a replaced runtime when its last request has ended.
   */
  count(inner: RequestHandler): RequestHandler {
    const holder = this;
    return {
      handle(req, res) {
        const rt = holder.current;
        rt.inFlight++;
        sharedMetrics.inFlight++;
        const refused = inner.handle(req, res);
        // A refusal is answered (and logged) through reject(), which counts it again.
        if (refused !== undefined) {
          rt.inFlight--;
          sharedMetrics.inFlight--;
        }
        return refused;
      },
      reject(req, res, err) {
        holder.current.inFlight++;
        sharedMetrics.inFlight++;
        inner.reject(req, res, err);
      },
      answer(req, res, status, headers, body, answeredBy) {
        holder.current.inFlight++;
        sharedMetrics.inFlight++;
        inner.answer(req, res, status, headers, body, answeredBy);
      },
    };
  }

  reload(trigger: string): Promise<ReloadReport> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(trigger: string): Promise<ReloadReport> {
    const file = this.configFile;
    if (file === undefined) return this.report(trigger, ['no configuration file: the built-in demo cannot be reloaded'], []);
    this.logger.info({ trigger, file }, 'reloading configuration');
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) return this.report(trigger, loaded.problems.map(formatProblem), []);
    const config = loaded.config;
    const warnings = this.unappliable(config);
    let next: Runtime;
    try {
      next = buildRuntime(config, this.logger, this.registry, this.current.cache, bindState(config, this.logger));
    } catch (err) {
      return this.report(trigger, [`${file}: ${err instanceof Error ? err.message : String(err)}`], warnings);
    }
    startRuntime(next);
    const old = this.current;
    this.current = next;
    this.logger.level = config.logging.level;
    this.forgetRemovedTargets(next);
    this.retire(old);
    return this.report(trigger, [], warnings);
  }

  /** What a reload cannot change: the bound listeners and the admin listener's address. */
  private unappliable(config: Config): string[] {
    const warnings: string[] = [];
    const was = JSON.stringify(this.boundConfig.listeners.map((l) => [l.name, l.address]));
    const now = JSON.stringify(config.listeners.map((l) => [l.name, l.address]));
    if (was !== now) warnings.push('listener names or addresses changed: a reload cannot rebind listeners; the old listeners keep serving (restart to apply)');
    if (this.boundConfig.admin?.address !== config.admin?.address) {
      warnings.push('admin.address changed: the admin listener is not rebound by a reload (restart to apply)');
    }
    return warnings;
  }

  private forgetRemovedTargets(rt: Runtime): void {
    const keep = new Set<string>();
    for (const upstream of rt.upstreams.values()) for (const t of upstream.targets) keep.add(t.state.id);
    this.registry.retain(keep);
  }

  /** Closes `old` once its last request has ended (or after server.shutdownTimeout). */
  private retire(old: Runtime): void {
    const deadline = Date.now() + old.config.server.shutdownTimeout;
    const done = new Promise<void>((resolve) => {
      const check = (): void => {
        if (old.inFlight > 0 && Date.now() < deadline) {
          setTimeout(check, RETIRE_POLL_MS).unref();
          return;
        }
        if (old.inFlight > 0) this.logger.warn({ inFlight: old.inFlight }, 'replaced configuration still has requests in flight; closing it anyway');
        closeRuntime(old).then(resolve, (err: unknown) => {
          this.logger.error({ err }, 'closing the replaced configuration failed');
          resolve();
        });
      };
      check();
    });
    this.retiring.add(done);
    void done.then(() => this.retiring.delete(done));
  }

  private report(trigger: string, errors: string[], warnings: string[]): ReloadReport {
    const ok = errors.length === 0;
    this.last = { ok, at: new Date().toISOString(), trigger, errors, warnings };
    sharedMetrics.reloaded(ok);
    if (ok) {
      for (const w of warnings) this.logger.warn({ trigger }, w);
      this.logger.info({ trigger }, 'configuration reloaded');
    } else {
      for (const e of errors) this.logger.error({ trigger }, `reload refused: ${e}`);
      this.logger.error({ trigger, problems: errors.length }, 'reload failed: the previous configuration keeps serving');
    }
    return this.last;
  }

  /** Closes the current runtime and waits for replaced ones (graceful shutdown). */
  async close(): Promise<void> {
    await this.queue;
    await Promise.all(this.retiring);
    await closeRuntime(this.current);
    await sharedState.close();
    sharedLimiters.useShared(undefined);
  }
}
