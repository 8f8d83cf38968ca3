/**
 * One worker process (workers > 1): the normal instance, on the listeners the cluster shares,
 * steered by the supervisor over IPC instead of by signals. It enforces 1/N of every rate limit
 * (limiter-registry.ts). Worker 1 also runs the admin listener: its /metrics merges every
 * worker's registry (asked through the supervisor) and its POST /api/reload asks the supervisor
 * for a rolling reload, so the admin API speaks for the whole cluster.
 */
import type { ClusterView } from '../admin/cluster.js';
import type { ReloadReport } from '../admin/host.js';
import { WorkerReporter } from '../admin/worker-report.js';
import { sharedLimiters } from '../access/limiter-registry.js';
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
    };
  }
  const rollingReload = async (trigger: string): Promise<ReloadReport> => {
    const answer = await ask((id) => ({ type: 'rolling-reload-request', id, trigger }));
    if (answer.type === 'rolling-reload-done') return answer.report;
    throw new Error('unexpected answer to a reload request');
  };

  let instance: Instance;
  try {
    instance = await startInstance(config, logger, { configFile, admin, adminReload: rollingReload, ...(cluster === undefined ? {} : { cluster }) });
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }

  const reporter = new WorkerReporter(slot, instance.holder, sharedMetrics);
  let stopping = false;
  const stop = (): void => {
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

  process.on('message', (raw: unknown) => {
    if (!isSupervisorMessage(raw)) return;
    switch (raw.type) {
      case 'reload':
        void instance.holder.reload(raw.trigger).then((report) => send({ type: 'reloaded', id: raw.id, report }));
        return;
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
      case 'cluster-metrics':
      case 'cluster-status':
      case 'rolling-reload-done': {
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
  });
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
