/**
 * What the admin API needs from the running instance. An interface here (implemented by
 * reload.ts) keeps admin/ from knowing how the instance is put together.
 */
import type { Runtime } from '../proxy/runtime.js';
import type { ClusterView } from './cluster.js';

/** The outcome of one reload attempt, kept for GET /api/status. */
export interface ReloadReport {
  ok: boolean;
  /** ISO time the reload finished. */
  at: string;
  /** What asked for it: SIGHUP or the admin API. */
  trigger: string;
  /** Every problem found (file:line:column: path: message), when the new config was refused. */
  errors: string[];
  /** What the reload could not apply (listener addresses, the admin listener). */
  warnings: string[];
}

export interface AdminHost {
  /** The runtime serving requests now. */
  runtime(): Runtime;
  /** Loads the config file again and swaps it in if valid. */
  reload(trigger: string): Promise<ReloadReport>;
  /** The last reload attempt, if any. */
  lastReload(): ReloadReport | undefined;
  /** Open client connections. */
  connections(): number;
  /** Requests in flight across all runtimes. */
  inFlight(): number;
  /**
   * Drains (or undrains) the target `targetId` (`<upstream>|<url>`) in this process; kept across
   * reloads that keep the target. Returns whether this process's configuration has the target.
   * With workers the admin API goes through `cluster.setDraining` instead, which reaches every one.
   */
  setDraining(targetId: string, draining: boolean): boolean;
  /** workers > 1: every worker, for the dashboard and /api/status (undefined: one process). */
  readonly cluster?: ClusterView;
}
