/** Starting and stopping a Barbican instance from a validated config. */
import type { Config } from './config/schema.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createPipeline } from './proxy/pipeline.js';
import { buildRuntime, closeRuntime, startRuntime, type Runtime } from './proxy/runtime.js';
import { ListenerGroup, type BoundListener } from './server/listeners.js';

export interface Instance {
  readonly listeners: readonly BoundListener[];
  readonly logger: Logger;
  /** Graceful shutdown: stop accepting, finish in-flight requests within server.shutdownTimeout. */
  shutdown(): Promise<void>;
}

export async function startInstance(config: Config, logger: Logger = createLogger(config.logging.level)): Promise<Instance> {
  let runtime: Runtime = buildRuntime(config, logger);
  const pipeline = createPipeline(() => runtime);
  const listeners = new ListenerGroup({
    listeners: config.listeners,
    limits: () => runtime.config.server.limits,
    handler: () => pipeline,
    logger,
  });
  const bound = await listeners.start();
  startRuntime(runtime);
  let stopping: Promise<void> | null = null;
  return {
    listeners: bound,
    logger,
    shutdown() {
      stopping ??= (async () => {
        await listeners.shutdown(runtime.config.server.shutdownTimeout);
        await closeRuntime(runtime);
      })();
      return stopping;
    },
  };
}

/** Stops gracefully on SIGTERM / SIGINT and exits 0; a second signal exits at once. */
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
}
