export type { BalancerTarget, BalancingPolicy } from './policy.js';
export { createRoundRobin } from './round-robin.js';
