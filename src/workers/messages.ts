/**
 * The IPC between the supervisor and its workers (node:cluster's channel, JSON). Every message
 * is one member of a tagged union, checked on arrival by its `type`, so neither side handles
 * an unknown shape.
 */
import type { DrainSlot, WorkerReport } from '../admin/cluster.js';
import type { ReloadReport } from '../admin/host.js';
import type { MetricFamilySnapshot } from '../observability/metrics.js';
import type { BoundListener } from '../server/listeners.js';

/** Sent by a worker. */
export type WorkerMessage =
  /** The instance is serving: its bound listeners (and the admin listener, worker 1 only). */
  | { type: 'ready'; listeners: BoundListener[]; admin: { host: string; port: number } | null }
  /** The instance could not start; the worker exits next. */
  | { type: 'failed'; message: string }
  /** Answer to `reload`; `targets`: the ids of the targets its configuration has now (drains of others are forgotten). */
  | { type: 'reloaded'; id: number; report: ReloadReport; targets: string[] }
  /** Answer to `collect-metrics`: this worker's registry. */
  | { type: 'metrics'; id: number; families: MetricFamilySnapshot[] }
  /** The admin listener (worker 1) asks for every worker's registry. */
  | { type: 'cluster-metrics-request'; id: number }
  /** The admin listener (worker 1) asks for a rolling reload of all workers. */
  | { type: 'rolling-reload-request'; id: number; trigger: string }
  /** The admin listener (worker 1: dashboard, /api/status) asks for every worker's report and these metric families. */
  | { type: 'cluster-status-request'; id: number; families: string[] }
  /** Answer to `collect-status`: this worker's report and the families asked for. */
  | { type: 'status'; id: number; report: WorkerReport; families: MetricFamilySnapshot[] }
  /** The admin listener (worker 1) asks to drain or undrain a target in every worker. */
  | { type: 'drain-request'; id: number; target: string; draining: boolean }
  /** Answer to `set-draining`: whether this worker's configuration has the target. */
  | { type: 'draining-set'; id: number; known: boolean }
  /** A starting worker asks for the instance's drained targets, before it builds its runtime. */
  | { type: 'drain-state-request'; id: number };

/** One worker slot in a `cluster-status` answer; report and families are null when it did not answer in time. */
export interface SlotStatus {
  slot: number;
  pid: number | null;
  restarts: number;
  report: WorkerReport | null;
  families: MetricFamilySnapshot[] | null;
}

/** Sent by the supervisor. */
export type SupervisorMessage =
  | { type: 'reload'; id: number; trigger: string }
  | { type: 'collect-metrics'; id: number }
  | { type: 'cluster-metrics'; id: number; workers: MetricFamilySnapshot[][] }
  | { type: 'rolling-reload-done'; id: number; report: ReloadReport }
  | { type: 'collect-status'; id: number; families: string[] }
  | { type: 'cluster-status'; id: number; workers: SlotStatus[] }
  | { type: 'set-draining'; id: number; target: string; draining: boolean }
  | { type: 'drain-done'; id: number; workers: DrainSlot[] }
  | { type: 'drain-state'; id: number; targets: string[] }
  | { type: 'shutdown' }
  | { type: 'reopen-logs' };

const WORKER_TYPES: ReadonlySet<string> = new Set(['ready', 'failed', 'reloaded', 'metrics', 'cluster-metrics-request', 'rolling-reload-request', 'cluster-status-request', 'status', 'drain-request', 'draining-set', 'drain-state-request']);
const SUPERVISOR_TYPES: ReadonlySet<string> = new Set(['reload', 'collect-metrics', 'cluster-metrics', 'rolling-reload-done', 'collect-status', 'cluster-status', 'set-draining', 'drain-done', 'drain-state', 'shutdown', 'reopen-logs']);

function tagged(value: unknown, types: ReadonlySet<string>): boolean {
  if (value === null || typeof value !== 'object') return false;
  const type: unknown = (value as { type?: unknown }).type;
  return typeof type === 'string' && types.has(type);
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return tagged(value, WORKER_TYPES);
}

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  return tagged(value, SUPERVISOR_TYPES);
}

/** Environment variables a worker is started with. */
export const WORKER_SLOT_ENV = 'BARBICAN_WORKER_SLOT';
export const WORKER_COUNT_ENV = 'BARBICAN_WORKER_COUNT';
