/**
 * One worker process (workers > 1): the normal instance, on the listeners the cluster shares,
 * steered by the supervisor over IPC instead of by signals. It enforces 1/N of every rate limit
 * (limiter-registry.ts). Worker 1 also runs the admin listener: its /metrics merges every
 * worker's registry (asked through the supervisor) and its POST /api/reload asks the supervisor
 * for a rolling reload, so the admin API speaks for the whole cluster. Drains of targets come
 * from the supervisor (every worker applies them; worker 1's admin API asks for them), and a
 * starting worker asks for the instance's drained targets before it builds its runtime.
 */
import type { ClusterView } from '../admin/cluster.js';
import type { ReloadReport } from '../admin/host.js';
import { WorkerReporter } from '../admin/worker-report.js';
import { sharedLimiters } from '../access/limiter-registry.js';
import { TargetStateRegistry } from '../balancer/index.js';
import type { Config } from '../config/schema.js';
import { startInstance, type Instance } from '../main.js';
import { reopenAccessLogs } from '../observability/access-log.js';
import { createLogger } from '../observability/logger.js';
import { aggregateRegistry, sharedMetrics, type MetricFamilySnapshot } from '../observability/metrics.js';
import { isSupervisorMessage, WORKER_COUNT_ENV, WORKER_SLOT_ENV, type SupervisorMessage, type WorkerMessage } from './messages.js';

/** How long worker 1 waits for the supervisor's answer to a metrics or reload request. */
const ASK_TIMEOUT_MS = 60_000;
/**
 * How long worker 1 waits for every worker's status (the supervisor answers after at most its
 * own 800 ms per-worker limit; this only matters if the supervisor itself is stuck).
 */
const STATUS_ASK_TIMEOUT_MS = 2_000;
/**
 * How long worker 1 waits for a drain to be applied everywhere (the supervisor answers after at
 * most its own 2 s per-worker limit), and a starting worker for the drained targets.
 */
const DRAIN_ASK_TIMEOUT_MS = 5_000;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** Runs the instance of worker `BARBICAN_WORKER_SLOT`; returns once it serves (or exits the process if it cannot start). */
export async function runWorker(config: Config, configFile: string): Promise<void> {
  const slot = Number(process.env[WORKER_SLOT_ENV] ?? 1);
  const count = Number(process.env[WORKER_COUNT_ENV] ?? 1);
  const logger = createLogger(config.logging.level).child({ worker: slot });
  sharedLimiters.shareAmong(count);
  sharedMetrics.identifyWorker(slot, process.pid);

  // Requests worker 1 makes to the supervisor, answered by id.
  const pending = new Map<number, (message: SupervisorMessage) => void>();
  let nextId = 1;
  const ask = (build: (id: number) => WorkerMessage, timeoutMs = ASK_TIMEOUT_MS): Promise<SupervisorMessage> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the supervisor did not answer'));
      }, timeoutMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      void send(build(id));
    });

  const admin = slot === 1;
  let cluster: ClusterView | undefined;
  if (admin) {
    sharedMetrics.aggregateWith(async () => {
      const answer = await ask((id) => ({ type: 'cluster-metrics-request', id }));
      return answer.type === 'cluster-metrics' ? answer.workers : [];
    });
    // A worker that misses one answer keeps its last counters in the merge (same pid only), so a
    // slow second shows no dip and then a burst in the dashboard's rates. One entry per slot and
    // set of families asked (the dashboard's and /api/status's: two).
    const lastFamilies = new Map<string, { pid: number; families: MetricFamilySnapshot[] }>();
    cluster = {
      async read(families) {
        const answer = await ask((id) => ({ type: 'cluster-status-request', id, families: [...families] }), STATUS_ASK_TIMEOUT_MS);
        if (answer.type !== 'cluster-status') throw new Error('unexpected answer to a status request');
        const merged: MetricFamilySnapshot[][] = [];
        const asked = families.join(',');
        for (const w of answer.workers) {
          const key = `${w.slot}:${asked}`;
          const last = lastFamilies.get(key);
          if (w.families !== null && w.report !== null) {
            lastFamilies.set(key, { pid: w.report.pid, families: w.families });
            merged.push(w.families);
          } else if (last !== undefined && last.pid === w.pid) merged.push(last.families);
        }
        return { registry: aggregateRegistry(merged), workers: answer.workers.map(({ slot: s, pid, restarts, report }) => ({ slot: s, pid, restarts, report })) };
      },
      async setDraining(target, draining) {
        const answer = await ask((id) => ({ type: 'drain-request', id, target, draining }), DRAIN_ASK_TIMEOUT_MS);
        if (answer.type !== 'drain-done') throw new Error('unexpected answer to a drain request');
        return answer.workers;
      },
    };
  }
  const rollingReload = async (trigger: string): Promise<ReloadReport> => {
    const answer = await ask((id) => ({ type: 'rolling-reload-request', id, trigger }));
    if (answer.type === 'rolling-reload-done') return answer.report;
    throw new Error('unexpected answer to a reload request');
  };

  // Drains arrive from the supervisor at any time, also while the instance starts: they go to
  // the target states directly (kept for states not built yet), so the listener is set first.
  const registry = new TargetStateRegistry();
  let instance: Instance | undefined;
  let stopping = false;
  let stopAsked = false;
  const stop = (): void => {
    if (instance === undefined) {
      stopAsked = true; // stops once started
      return;
    }
    if (stopping) return;
    stopping = true;
    instance.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  let reporter: WorkerReporter | undefined;

  process.on('message', (raw: unknown) => {
    if (!isSupervisorMessage(raw)) return;
    switch (raw.type) {
      case 'set-draining': {
        const known = registry.setDraining(raw.target, raw.draining, Date.now());
        logger.info({ target: raw.target, known }, raw.draining ? 'target drained' : 'target undrained');
        void send({ type: 'draining-set', id: raw.id, known });
        return;
      }
      case 'cluster-metrics':
      case 'cluster-status':
      case 'rolling-reload-done':
      case 'drain-done':
      case 'drain-state': {
        const resolve = pending.get(raw.id);
        pending.delete(raw.id);
        resolve?.(raw);
        return;
      }
      case 'shutdown':
        stop();
        return;
      case 'reopen-logs':
        reopenAccessLogs();
        return;
    }
    // The rest needs a serving instance (the supervisor asks only workers that said ready).
    const running = instance;
    if (running === undefined || reporter === undefined) return;
    switch (raw.type) {
      case 'reload': {
        const id = raw.id;
        void running.holder.reload(raw.trigger).then((report) => send({ type: 'reloaded', id, report, targets: running.holder.targetIds() }));
        return;
      }
      case 'collect-metrics':
        void sharedMetrics.snapshot().then(
          (families: MetricFamilySnapshot[]) => send({ type: 'metrics', id: raw.id, families }),
          () => send({ type: 'metrics', id: raw.id, families: [] }),
        );
        return;
      case 'collect-status': {
        const id = raw.id;
        void Promise.all([reporter.report(), sharedMetrics.snapshot(raw.families)]).then(
          ([report, families]) => send({ type: 'status', id, report, families }),
          () => undefined, // no answer: the supervisor's timeout leaves this worker out
        );
        return;
      }
    }
  });

  // The instance's drained targets, before the first runtime is built: a worker restarted after
  // a crash must not send one request to a target an operator drained.
  try {
    const state = await ask((id) => ({ type: 'drain-state-request', id }), DRAIN_ASK_TIMEOUT_MS);
    if (state.type === 'drain-state') for (const target of state.targets) registry.setDraining(target, true, Date.now());
  } catch (err) {
    logger.warn({ err }, 'the supervisor did not say which targets are drained: starting with none');
  }

  try {
    instance = await startInstance(config, logger, { configFile, admin, adminReload: rollingReload, registry, ...(cluster === undefined ? {} : { cluster }) });
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  reporter = new WorkerReporter(slot, instance.holder, sharedMetrics);
  if (stopAsked) {
    stop(); // the supervisor said shutdown while this worker was starting
    return;
  }

  // The supervisor owns the signals; a signal sent to the whole process group (a terminal's
  // Ctrl-C, a hangup) reaches it too and it tells each worker what to do.
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('SIGUSR1', () => undefined);
  process.on('SIGTERM', stop);

  await send({
    type: 'ready',
    listeners: [...instance.listeners],
    admin: instance.admin === undefined ? null : { host: instance.admin.host, port: instance.admin.port },
  });
}
