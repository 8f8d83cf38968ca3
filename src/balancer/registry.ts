/** Balancer name (config `balancer`) → policy factory. A new policy is one file plus a line here. */
import type { BalancerName } from './config.js';
import type { BalancingPolicy, PolicyFactory, PolicyOptions } from './policy.js';
import { createHash } from './hash.js';
import { createLeastConnections } from './least-connections.js';
import { createLeastLatency } from './least-latency.js';
import { createRandom } from './random.js';
import { createRoundRobin } from './round-robin.js';
import type { TargetState } from './target-state.js';

export const POLICIES: Record<BalancerName, PolicyFactory> = {
  roundRobin: createRoundRobin,
  leastConnections: createLeastConnections,
  leastLatency: createLeastLatency,
  random: createRandom,
  hash: createHash,
};

export function createPolicy(name: BalancerName, targets: readonly TargetState[], options: PolicyOptions): BalancingPolicy {
  return POLICIES[name](targets, options);
}
