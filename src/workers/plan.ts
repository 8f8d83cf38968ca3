/**
 * How many worker processes a config asks for (`server.workers`), and what cannot run with more
 * than one yet. Kept apart from the supervisor so `barbican check` reports the same problems.
 */
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';

export type WorkerPlan = { ok: true; count: number } | { ok: false; problem: string };

export function planWorkers(config: Config, cores: number = availableParallelism()): WorkerPlan {
  const count = config.server.workers === 'auto' ? Math.max(1, cores) : config.server.workers;
  if (count > 1) {
    const index = config.listeners.findIndex((l) => l.tls?.acme !== undefined);
    if (index !== -1) {
      // Each worker would order its own certificate and answer its own challenges.
      return { ok: false, problem: `server.workers: listeners[${index}].tls.acme is not supported with more than one worker yet; set server.workers: 1 or use certificate files` };
    }
    // node:cluster shares a listening socket per host:port key: two port-0 listeners on one host
    // would be handed the same socket.
    const anyPort = config.listeners.filter((l) => /:0$/.test(l.address)).map((l) => l.address);
    if (new Set(anyPort).size !== anyPort.length) {
      return { ok: false, problem: 'server.workers: with more than one worker, listeners on port 0 must have different hosts (give them fixed ports)' };
    }
  }
  return { ok: true, count };
}
