/** Starting and stopping a Barbican instance from a validated config. */
import type { ClusterView } from './admin/cluster.js';
import type { TargetStateRegistry } from './balancer/index.js';
import type { AdminHost, ReloadReport } from './admin/host.js';
import { startAdminServer, type AdminServer } from './admin/server.js';
import type { Config } from './config/schema.js';
import { reopenAccessLogs } from './observability/access-log.js';
import { createLogger, type Logger } from './observability/logger.js';
import { sharedMetrics } from './observability/metrics.js';
import { createPipeline } from './proxy/pipeline.js';
import { startRuntime } from './proxy/runtime.js';
import { tuneHeapGrowth } from './heap-growth.js';
import { RuntimeHolder } from './reload.js';
import { sharedState } from './state/index.js';
import { ListenerGroup, type BoundListener } from './server/listeners.js';

export interface Instance {
  readonly listeners: readonly BoundListener[];
  readonly logger: Logger;
  /** The runtime being served, and how to replace it (hot reload). */
  readonly holder: RuntimeHolder;
  /** The admin listener, when `admin` is configured. */
  readonly admin: AdminServer | undefined;
  /** Graceful shutdown: stop accepting, finish in-flight requests within server.shutdownTimeout. */
  shutdown(): Promise<void>;
}

export interface InstanceOptions {
  /** The file the config came from: SIGHUP and POST /api/reload read it again. */
  configFile?: string;
  /** Whether this process runs the admin listener (workers > 1: worker 1 only). Default true. */
  admin?: boolean;
  /** How the admin API's reload is done instead of reloading this process (workers: a rolling reload of all). */
  adminReload?: (trigger: string) => Promise<ReloadReport>;
  /** workers > 1 (worker 1): every worker, for the dashboard and /api/status. */
  cluster?: ClusterView;
  /** The target states to build with (workers: one that already holds the instance's drains). */
  registry?: TargetStateRegistry;
}

/** The holder as the admin API sees it, with its reload replaced and the other workers in view. */
function adminHost(holder: RuntimeHolder, reload: ((trigger: string) => Promise<ReloadReport>) | undefined, cluster: ClusterView | undefined): AdminHost {
  if (reload === undefined && cluster === undefined) return holder;
  return {
    runtime: () => holder.runtime(),
    reload: reload ?? ((trigger) => holder.reload(trigger)),
    ...(cluster === undefined ? {} : { cluster }),
    lastReload: () => holder.lastReload(),
    connections: () => holder.connections(),
    inFlight: () => holder.inFlight(),
    setDraining: (targetId, draining) => holder.setDraining(targetId, draining),
  };
}

export async function startInstance(config: Config, logger: Logger = createLogger(config.logging.level), options: InstanceOptions = {}): Promise<Instance> {
  // Before the first request: full collections sized for a proxy whose cores are busy (heap-growth.ts).
  tuneHeapGrowth();
  let listeners: ListenerGroup | undefined;
  // The runtime is read through the holder on every request, so a reload swaps one reference.
  const holder = new RuntimeHolder({
    config,
    logger,
    configFile: options.configFile,
    connections: () => listeners?.connectionCount ?? 0,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  const pipeline = holder.count(createPipeline(() => holder.current));
  listeners = new ListenerGroup({
    listeners: config.listeners,
    limits: () => holder.current.config.server.limits,
    handler: () => pipeline,
    http2: () => holder.current.config.server.http2,
    logger,
  });
  sharedMetrics.watch({
    connections: () => listeners?.connectionCount ?? 0,
    *targets() {
      for (const upstream of holder.current.upstreams.values()) for (const t of upstream.targets) yield [upstream.name, t.state] as const;
    },
    cache: () => holder.current.cache?.stats,
    redis: () => sharedState.stats,
  });
  let admin: AdminServer | undefined;
  if (config.admin !== undefined && options.admin !== false) {
    admin = await startAdminServer(config.admin.address, adminHost(holder, options.adminReload, options.cluster), sharedMetrics, logger);
  }
  let bound: BoundListener[];
  try {
    bound = await listeners.start();
  } catch (err) {
    await admin?.close();
    throw err;
  }
  const group = listeners;
  startRuntime(holder.current);
  let stopping: Promise<void> | null = null;
  return {
    listeners: bound,
    logger,
    holder,
    admin,
    shutdown() {
      stopping ??= (async () => {
        await group.shutdown(holder.current.config.server.shutdownTimeout);
        await admin?.close();
        await holder.close();
      })();
      return stopping;
    },
  };
}

/**
 * Signals: SIGTERM / SIGINT stop gracefully and exit 0 (a second one exits at once); SIGHUP
 * reloads the config file; SIGUSR1 reopens access log files (after log rotation).
 */
export function handleSignals(instance: Instance): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      instance.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    instance.logger.info({ signal }, 'shutting down: draining connections');
    instance.shutdown().then(
      () => {
        instance.logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        instance.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => {
    if (signalled) return;
    // The outcome is logged by the reload itself.
    void instance.holder.reload('SIGHUP');
  });
  process.on('SIGUSR1', () => {
    const files = reopenAccessLogs();
    instance.logger.info({ signal: 'SIGUSR1', files }, 'access log files reopened');
  });
}
