#!/usr/bin/env bash
# Shared state (state.redis) against local state: Barbican with rate limits and the cache's
# second tier in Redis (barbican-redis, on a redis-server started for the run) next to Barbican
# with both in memory (barbican), on cache hits (GET /cached), a rate-limited route whose
# limit is never reached (GET /limited: the cost of each decision) and a plain GET (/small:
# routes without Redis-backed features must not pay for it). nginx is the yardstick
# (proxy_cache, limit_req). Machinery, knobs and output are bench/run.sh's (bench/README.md).
#
#   bash bench/redis.sh                                   # 3 rounds x 10 s per workload (~6 min)
#   DURATION=2s ROUNDS=1 WARMUP=0 bash bench/redis.sh     # smoke run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CONTENDERS=${CONTENDERS:-nginx barbican barbican-redis}
export WORKLOADS=${WORKLOADS:-cached limited small}
exec bash bench/run.sh throughput
