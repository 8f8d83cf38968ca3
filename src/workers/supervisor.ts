/**
 * The supervisor (workers > 1): the process the CLI started becomes a node:cluster primary. It
 * forks one worker per slot; the workers listen on the same addresses and the cluster hands
 * them connections round-robin. It does not serve requests itself. It restarts a worker that
 * exits unexpectedly (with backoff, backoff.ts), turns SIGHUP into a rolling reload (one worker
 * at a time, stopping at the first refusal: an invalid file is refused by the first worker and
 * the others are never asked), turns SIGTERM/SIGINT into a graceful shutdown of every worker,
 * and relays the admin listener's (worker 1) requests for every worker's metrics.
 *
 * It also holds the instance's drained targets (POST /api/targets/drain): a drain is sent to
 * every worker, and a worker that starts (after a crash) asks for the set before it builds its
 * runtime, so a drained target stays drained in every process until it is undrained. A
 * successful reload forgets drains of targets the new configuration no longer has, as a
 * single process does (balancer/target-state.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import type { ReloadReport } from '../admin/host.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { MetricFamilySnapshot } from '../observability/metrics.js';
import type { BoundListener } from '../server/listeners.js';
import { Backoff } from './backoff.js';
import type { DrainSlot } from '../admin/cluster.js';
import { isWorkerMessage, WORKER_COUNT_ENV, WORKER_SLOT_ENV, type SlotStatus, type SupervisorMessage, type WorkerMessage } from './messages.js';

/** How long a worker may take to answer for its metrics before the scrape goes without it. */
const METRICS_TIMEOUT_MS = 2_000;
/**
 * How long a worker may take to report for the dashboard or /api/status before the answer goes
 * without it: under the dashboard's one-second tick, so a slow or dead worker never makes
 * questions pile up (a late answer is dropped).
 */
const STATUS_TIMEOUT_MS = 800;
/** How long one worker's reload may take before the rolling reload moves on. */
const RELOAD_TIMEOUT_MS = 30_000;
/**
 * How long a serving worker may take to apply a drain or undrain before the admin API answers
 * without it (applying is setting one flag: only a stuck worker misses this).
 */
const DRAIN_TIMEOUT_MS = 2_000;
/** Beyond server.shutdownTimeout, how long a draining worker gets before it is killed. */
const EXIT_GRACE_MS = 5_000;

interface Slot {
  readonly index: number;
  readonly backoff: Backoff;
  worker: Worker | undefined;
  startedAt: number;
  ready: boolean;
  restart: NodeJS.Timeout | undefined;
  /** Unexpected exits (each followed by a restart). */
  restarts: number;
}

type Reply = Extract<WorkerMessage, { id: number }>;

export class Supervisor {
  private readonly slots: Slot[] = [];
  private readonly logger: Logger;
  private readonly replies = new Map<number, (message: Reply) => void>();
  private nextId = 1;
  private starting = true;
  private stopping = false;
  private reloads: Promise<unknown> = Promise.resolve();
  /** The status gathering under way, by families asked: concurrent questions share it. */
  private readonly gatheringStatus = new Map<string, Promise<SlotStatus[]>>();
  /** Drained target ids (`<upstream>|<url>`): told to every worker, and to each one that starts. */
  private readonly drained = new Set<string>();
  /** Where worker 1 runs the admin listener. */
  private adminAddress: { host: string; port: number } | null = null;
  private startup: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly config: Config,
    private readonly count: number,
  ) {
    this.logger = createLogger(config.logging.level).child({ supervisor: process.pid });
    for (let i = 1; i <= count; i++) this.slots.push({ index: i, backoff: new Backoff(), worker: undefined, startedAt: 0, ready: false, restart: undefined, restarts: 0 });
  }

  /** Forks every worker; resolves when all serve, rejects (killing them) if one cannot start. */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
    for (const slot of this.slots) this.fork(slot);
    return ready;
  }

  private fork(slot: Slot): void {
    slot.restart = undefined;
    slot.ready = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.index), [WORKER_COUNT_ENV]: String(this.count) });
    slot.worker = worker;
    worker.on('message', (raw: unknown) => {
      if (isWorkerMessage(raw)) this.onMessage(slot, worker, raw);
    });
    worker.on('exit', (code: number | null, signal: string | null) => this.onExit(slot, worker, code, signal));
    // A worker that died (SIGKILL, the OOM killer) is still "connected" until its channel's end
    // is read: a message sent in between fails with EPIPE, which node:cluster emits as 'error'
    // on the Worker, and an unheard 'error' would take the supervisor, and every worker, down.
    // The exit that follows restarts the slot; the failed send is answered by send()/ask().
    worker.on('error', (err: Error) => this.logger.debug({ worker: slot.index, pid: worker.process.pid, err: err.message }, 'message to a worker not delivered'));
  }

  private onMessage(slot: Slot, worker: Worker, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        if (slot.index === 1) this.adminAddress = message.admin;
        this.logger.info({ worker: slot.index, pid: worker.process.pid }, 'worker ready');
        if (this.starting && this.slots.every((s) => s.ready)) this.started(message.listeners);
        return;
      case 'failed':
        this.logger.error({ worker: slot.index, pid: worker.process.pid }, `worker could not start: ${message.message}`);
        if (this.starting) this.abort(new Error(message.message));
        return;
      case 'reloaded':
      case 'metrics':
      case 'status':
      case 'draining-set': {
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        reply?.(message);
        return;
      }
      case 'cluster-metrics-request':
        void this.gatherMetrics().then((workers) => this.send(worker, { type: 'cluster-metrics', id: message.id, workers }));
        return;
      case 'cluster-status-request':
        void this.gatherStatus(message.families).then((workers) => this.send(worker, { type: 'cluster-status', id: message.id, workers }));
        return;
      case 'rolling-reload-request':
        void this.rollingReload(message.trigger).then((report) => this.send(worker, { type: 'rolling-reload-done', id: message.id, report }));
        return;
      case 'drain-request':
        void this.setDraining(message.target, message.draining).then((workers) => this.send(worker, { type: 'drain-done', id: message.id, workers }));
        return;
      case 'drain-state-request':
        this.send(worker, { type: 'drain-state', id: message.id, targets: [...this.drained] });
        return;
    }
  }

  /** Every worker serves: the listeners are announced once (tools read the bound ports from these lines). */
  private started(listeners: readonly BoundListener[]): void {
    this.starting = false;
    for (const l of listeners) {
      const host = l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host.includes(':') ? `[${l.host}]` : l.host;
      this.logger.info({ listener: l.name, address: `${l.host}:${l.port}`, workers: this.count }, `listening on ${l.scheme}://${host}:${l.port}/`);
    }
    const adminAt = this.adminAddress;
    if (adminAt !== null) {
      const host = adminAt.host.includes(':') ? `[${adminAt.host}]` : adminAt.host;
      this.logger.info({ listener: 'admin', address: `${adminAt.host}:${adminAt.port}`, worker: 1 }, `admin API on http://${host}:${adminAt.port}/`);
    }
    this.startup?.resolve();
  }

  private abort(err: Error): void {
    this.starting = false;
    this.stopping = true;
    for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
    this.startup?.reject(err);
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.ready = false;
    if (this.stopping) return;
    if (this.starting) {
      this.abort(new Error(`worker ${slot.index} exited during startup (${signal ?? `code ${code}`})`));
      return;
    }
    slot.restarts++;
    const delay = slot.backoff.next(Date.now() - slot.startedAt);
    this.logger.warn({ worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited unexpectedly: restarting it');
    slot.restart = setTimeout(() => this.fork(slot), delay);
  }

  /** Sends `message` if `worker` is connected; `onFailed` runs if it could not be delivered. */
  private send(worker: Worker, message: SupervisorMessage, onFailed?: () => void): void {
    if (!worker.isConnected()) {
      onFailed?.();
      return;
    }
    // With a callback, a failed send is reported to it instead of as the Worker's 'error'.
    worker.send(message, undefined, (err: Error | null) => {
      if (err !== null) onFailed?.();
    });
  }

  /** Sends `build(id)` to `worker` and waits for the reply with that id (undefined after `timeoutMs`). */
  private ask(worker: Worker, build: (id: number) => SupervisorMessage, timeoutMs: number): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const unanswered = (): void => {
        clearTimeout(timer);
        this.replies.delete(id);
        resolve(undefined);
      };
      const timer = setTimeout(unanswered, timeoutMs);
      this.replies.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      // Not delivered (the worker died): no answer will come, so none is waited for.
      this.send(worker, build(id), unanswered);
    });
  }

  /** Every serving worker's registry (a worker that does not answer in time is left out). */
  private async gatherMetrics(): Promise<MetricFamilySnapshot[][]> {
    const serving = this.slots.flatMap((s) => (s.ready && s.worker !== undefined ? [s.worker] : []));
    const replies = await Promise.all(serving.map((w) => this.ask(w, (id) => ({ type: 'collect-metrics', id }), METRICS_TIMEOUT_MS)));
    return replies.flatMap((r) => (r?.type === 'metrics' ? [r.families] : []));
  }

  /**
   * Every slot with its worker's report and the metric `families` asked for; a worker not
   * serving, or not answering within STATUS_TIMEOUT_MS, is listed without them.
   */
  private gatherStatus(families: string[]): Promise<SlotStatus[]> {
    const key = families.join(',');
    let gathering = this.gatheringStatus.get(key);
    if (gathering === undefined) {
      gathering = Promise.all(
        this.slots.map(async (slot): Promise<SlotStatus> => {
          const worker = slot.worker;
          const base = { slot: slot.index, pid: worker?.process.pid ?? null, restarts: slot.restarts };
          if (worker === undefined || !slot.ready) return { ...base, report: null, families: null };
          const reply = await this.ask(worker, (id) => ({ type: 'collect-status', id, families }), STATUS_TIMEOUT_MS);
          return reply?.type === 'status' ? { ...base, report: reply.report, families: reply.families } : { ...base, report: null, families: null };
        }),
      ).finally(() => this.gatheringStatus.delete(key));
      this.gatheringStatus.set(key, gathering);
    }
    return gathering;
  }

  /**
   * Drains (or undrains) `target` in every worker: the serving ones are asked and waited for
   * (DRAIN_TIMEOUT_MS); a starting one is told too, and in any case asks for the set before it
   * serves (it may have asked already, or not yet listen to messages).
   */
  private setDraining(target: string, draining: boolean): Promise<DrainSlot[]> {
    if (draining) this.drained.add(target);
    else this.drained.delete(target);
    this.logger.info({ target, workers: this.count }, draining ? 'draining target in every worker' : 'undraining target in every worker');
    return Promise.all(
      this.slots.map(async (slot): Promise<DrainSlot> => {
        const worker = slot.worker;
        const pid = worker?.process.pid ?? null;
        if (worker === undefined) return { slot: slot.index, pid, state: 'restarting' };
        if (!slot.ready) {
          this.send(worker, { type: 'set-draining', id: 0, target, draining });
          return { slot: slot.index, pid, state: 'starting' };
        }
        const reply = await this.ask(worker, (id) => ({ type: 'set-draining', id, target, draining }), DRAIN_TIMEOUT_MS);
        if (reply?.type !== 'draining-set') return { slot: slot.index, pid, state: 'no-answer' };
        return { slot: slot.index, pid, state: reply.known ? 'applied' : 'not-configured' };
      }),
    );
  }

  /** Reloads the workers one at a time (reloads queue behind each other). */
  rollingReload(trigger: string): Promise<ReloadReport> {
    const next = this.reloads.then(() => this.reloadEach(trigger));
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reloadEach(trigger: string): Promise<ReloadReport> {
    const errors = new Set<string>();
    const warnings = new Set<string>();
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (worker === undefined || !slot.ready) continue; // a worker being restarted reads the file itself
      const reply = await this.ask(worker, (id) => ({ type: 'reload', id, trigger }), RELOAD_TIMEOUT_MS);
      if (reply?.type !== 'reloaded') {
        errors.add(`worker ${slot.index} did not report its reload`);
        continue;
      }
      for (const w of reply.report.warnings) warnings.add(w);
      if (!reply.report.ok) {
        for (const e of reply.report.errors) errors.add(e);
        break; // the same file is refused by every worker: stop at the first
      }
      // A target the new configuration removed loses its drain (as in one process): were it
      // added back later, it would come back in rotation.
      const kept = new Set(reply.targets);
      for (const id of this.drained) if (!kept.has(id)) this.drained.delete(id);
    }
    const report: ReloadReport = { ok: errors.size === 0, at: new Date().toISOString(), trigger, errors: [...errors], warnings: [...warnings] };
    if (report.ok) this.logger.info({ trigger, workers: this.count }, 'rolling reload done');
    else this.logger.error({ trigger, problems: report.errors.length }, 'rolling reload stopped: the previous configuration keeps serving');
    return report;
  }

  /** Drains every worker (each within server.shutdownTimeout), killing any that outstays it. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const running: Promise<void>[] = [];
    for (const slot of this.slots) {
      if (slot.restart !== undefined) clearTimeout(slot.restart);
      const worker = slot.worker;
      if (worker === undefined) continue;
      running.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      this.send(worker, { type: 'shutdown' });
    }
    const deadline = setTimeout(() => {
      for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
    }, this.config.server.shutdownTimeout + EXIT_GRACE_MS);
    await Promise.all(running);
    clearTimeout(deadline);
  }

  /** SIGTERM/SIGINT: drain and exit 0 (a second one kills the workers and exits 1); SIGHUP: rolling reload; SIGUSR1: reopen logs. */
  handleSignals(): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        this.logger.warn({ signal }, 'second signal: killing the workers and exiting now');
        for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
        process.exit(1);
      }
      signalled = true;
      this.logger.info({ signal, workers: this.count }, 'shutting down: draining every worker');
      void this.shutdown().then(() => {
        this.logger.info('stopped');
        process.exit(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', () => {
      if (!signalled) void this.rollingReload('SIGHUP');
    });
    process.on('SIGUSR1', () => {
      for (const slot of this.slots) if (slot.worker !== undefined) this.send(slot.worker, { type: 'reopen-logs' });
    });
  }
}
