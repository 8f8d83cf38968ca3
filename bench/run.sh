#!/usr/bin/env bash
# Barbican benchmark harness. See bench/README.md.
#
#   bench/run.sh              throughput: origin-direct vs nginx vs node-http-proxy vs Barbican
#   bench/run.sh idle-rss     RSS of each proxy holding 1,000 idle keep-alive connections
#   bench/run.sh all          both
#   bench/redis.sh            Redis-backed state: barbican (local) vs barbican-redis, cache hits and rate limits
#   PAIRED=1 bench/run.sh     throughput with all contenders kept running and run back to back per
#                             workload; the summary gives median per-round ratios to BASELINE
#
# Knobs (environment), see bench/README.md: DURATION ROUNDS WARMUP CONNECTIONS THREADS
# CONTENDERS WORKLOADS LOAD_CPU PROXY_CPU STARTUP_TIMEOUT RESULTS_DIR IDLE_CONNECTIONS
# NOISE_LIMIT NOISE_RETRIES NGINX_BUFFERS NODE NGINX WRK HAPROXY BARBICAN_CMD KEEP_TMP
# PAIRED BASELINE START_WARMUP.
# Everything listens on 127.0.0.1 only, every run is bounded in time, and every process
# started here is stopped and the temp dir removed on exit (also on Ctrl-C).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
MODE=${1:-throughput}

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1s}
PAIRED=${PAIRED:-0}                   # 1: all contenders kept running, back-to-back runs, per-round ratios
BASELINE=${BASELINE:-}                # PAIRED=1: ratios to this contender, or these (default nginx, else the first)
START_WARMUP=${START_WARMUP:-2s}      # PAIRED=1: one warm-up run per contender and workload before round 1
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
WORKLOADS=${WORKLOADS:-small 100k post}
LOAD_CPU=${LOAD_CPU:-0}
PROXY_CPU=${PROXY_CPU:-1}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-15}
RESULTS_DIR=${RESULTS_DIR:-}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-1000}
NOISE_LIMIT=${NOISE_LIMIT:-10}        # % of one core used by unrelated processes during a run
NOISE_RETRIES=${NOISE_RETRIES:-1}     # re-runs of a measurement that exceeded NOISE_LIMIT
NGINX_BUFFERS=${NGINX_BUFFERS:-64k}   # nginx-proxy proxy_buffers size: 64k, or "default" (8 x 4k)
NODE=${NODE:-node}
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}
HAPROXY=${HAPROXY:-haproxy}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
BARBICAN_CMD=${BARBICAN_CMD:-$NODE bin/barbican.js}   # run from the repository root

case $MODE in
  throughput | all) CONTENDERS=${CONTENDERS:-origin nginx node-http-proxy barbican} ;;
  idle-rss) CONTENDERS=${CONTENDERS:-nginx node-http-proxy barbican} ;;
  -h | --help | help)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "unknown mode '$MODE' (throughput | idle-rss | all)" >&2
    exit 2
    ;;
esac

die() { echo "error: $*" >&2; exit 1; }
log() { echo "$*"; }

# ---------------------------------------------------------------- checks
for tool in "$NODE" "$NGINX" "$WRK" taskset timeout; do
  command -v "${tool%% *}" >/dev/null || die "'$tool' not found (apt-get install -y wrk nginx-light; Node 20+)"
done
for c in $CONTENDERS; do
  case $c in
    origin | nginx | nginx-2w | node-http-proxy | node-raw | barbican | barbican-bare | barbican-lb | barbican-log | barbican-auto | barbican-auto-bare | barbican-auto-log) ;;
    barbican-redis) command -v "$REDIS_SERVER" >/dev/null || die "contender barbican-redis requested but '$REDIS_SERVER' not found (apt-get install -y redis-server)" ;;
    haproxy) command -v "$HAPROXY" >/dev/null || die "contender haproxy requested but '$HAPROXY' not found" ;;
    *) die "unknown contender '$c' (origin nginx nginx-2w haproxy node-http-proxy node-raw barbican barbican-bare barbican-lb barbican-log barbican-auto barbican-auto-bare barbican-auto-log barbican-redis)" ;;
  esac
done
for w in $WORKLOADS; do
  case $w in small | 100k | post | cached | gzip | br | limited) ;; *) die "unknown workload '$w' (small 100k post cached gzip br limited)" ;; esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $PAIRED == 0 || $PAIRED == 1 ]] || die "PAIRED must be 0 or 1"
if [[ $PAIRED == 1 ]]; then
  # Every contender listens on its own port for the whole batch: each may appear once.
  [[ $(tr ' ' '\n' <<<"$CONTENDERS" | grep -c .) == $(tr ' ' '\n' <<<"$CONTENDERS" | grep . | sort -u | wc -l) ]] ||
    die "PAIRED=1: a contender is listed twice in CONTENDERS ($CONTENDERS)"
  (($(wc -w <<<"$CONTENDERS") >= 2)) || die "PAIRED=1 needs at least two contenders (CONTENDERS=\"$CONTENDERS\")"
  read -r -a base_list <<<"${BASELINE//,/ }"
  BASELINE=${base_list[*]:-}
  if [[ -z $BASELINE ]]; then
    if [[ " $CONTENDERS " == *" nginx "* ]]; then BASELINE=nginx; else read -r BASELINE _ <<<"$CONTENDERS"; fi
  fi
  for b in $BASELINE; do
    [[ " $CONTENDERS " == *" $b "* ]] || die "BASELINE '$b' is not one of CONTENDERS ($CONTENDERS)"
  done
  read -r BASE1 _ <<<"$BASELINE" # the first baseline: the ratios printed while the batch runs
  [[ $MODE != idle-rss ]] || echo "warning: PAIRED applies to the throughput runs only; idle-rss ignores it" >&2
elif [[ -n $BASELINE ]]; then
  echo "warning: BASELINE is used only with PAIRED=1; ignored" >&2
fi
[[ $NOISE_LIMIT =~ ^[0-9]+$ && $NOISE_RETRIES =~ ^[0-9]+$ ]] || die "NOISE_LIMIT and NOISE_RETRIES must be integers"
[[ $NGINX_BUFFERS == default || $NGINX_BUFFERS =~ ^[1-9][0-9]*k$ ]] || die "NGINX_BUFFERS must be like 64k, or default"
ncpu=$(nproc)
((LOAD_CPU < ncpu && PROXY_CPU < ncpu)) || die "need CPUs $LOAD_CPU and $PROXY_CPU, have $ncpu (set LOAD_CPU/PROXY_CPU)"
[[ $LOAD_CPU != "$PROXY_CPU" ]] || echo "warning: LOAD_CPU = PROXY_CPU: proxy shares a core with wrk and the origin" >&2

# Seconds in a wrk duration (10, 10s, 2m, 1h), for the hard time limits around wrk.
secs_of() {
  local d=$1
  case $d in
    *[0-9]s) echo "${d%s}" ;;
    *[0-9]m) echo $((${d%m} * 60)) ;;
    *[0-9]h) echo $((${d%h} * 3600)) ;;
    *[0-9]) echo "$d" ;;
    *) die "bad duration '$d' (use 10s, 2m, ...)" ;;
  esac
}
DUR_SECS=$(secs_of "$DURATION")
WARMUP_SECS=$(secs_of "$WARMUP")
START_WARMUP_SECS=$(secs_of "$START_WARMUP")
[[ $DUR_SECS =~ ^[0-9]+$ && $WARMUP_SECS =~ ^[0-9]+$ && $START_WARMUP_SECS =~ ^[0-9]+$ ]] ||
  die "DURATION, WARMUP and START_WARMUP must be whole seconds/minutes/hours"
((DUR_SECS > 0)) || die "DURATION must be > 0"
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- process bookkeeping
TMP=$(mktemp -d "${TMPDIR:-/tmp}/barbican-bench.XXXXXX")
chmod 755 "$TMP"
declare -A STARTED=() # pid -> name, for everything started in the background
LAST_PID=

# Every pid of a process tree (nginx master + workers, a supervisor + workers).
tree_pids() {
  local -a queue=("$1")
  local i=0 p c
  while ((i < ${#queue[@]})); do
    p=${queue[i]}
    i=$((i + 1))
    [[ -d /proc/$p ]] || continue
    echo "$p"
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do queue+=("$c"); done
  done
}

stop_pid() {
  local pid=$1 i p
  local -a tree
  mapfile -t tree < <(tree_pids "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    # a reaped child still shows up via kill -0 only until wait; poll /proc state instead
    [[ $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) == Z ]] && break
    sleep 0.1
  done
  for p in "${tree[@]}"; do
    [[ -d /proc/$p ]] && [[ $(awk '{print $3}' /proc/"$p"/stat 2>/dev/null) != Z ]] && kill -KILL "$p" 2>/dev/null || true
  done
  wait "$pid" 2>/dev/null || true
  unset "STARTED[$pid]"
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${!STARTED[@]}"; do stop_pid "$pid"; done
  if [[ -n ${KEEP_TMP:-} ]]; then
    echo "KEEP_TMP: configs and logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# start_bg NAME LOGFILE CMD...  (sets LAST_PID; the command must exec, not fork, the server)
start_bg() {
  local name=$1 logfile=$2
  shift 2
  "$@" >"$logfile" 2>&1 </dev/null &
  LAST_PID=$!
  STARTED[$LAST_PID]=$name
}

# wait_port PORT PID: 0 once something accepts on 127.0.0.1:PORT, 1 on timeout or exit.
wait_port() {
  local port=$1 pid=$2 deadline=$((SECONDS + STARTUP_TIMEOUT))
  while ((SECONDS <= deadline)); do
    [[ -d /proc/$pid && $(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null) != Z ]] || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Free TCP ports on 127.0.0.1, below the ephemeral range so that outgoing connections
# cannot grab them between now and when the servers bind.
read -r -a PORTS < <("$NODE" -e '
  const net = require("net");
  const want = 17, got = [];
  (async () => {
    for (let tries = 0; got.length < want && tries < 500; tries++) {
      const p = 20000 + Math.floor(Math.random() * 12000);
      if (got.includes(p)) continue;
      const ok = await new Promise((res) => {
        const s = net.createServer();
        s.once("error", () => res(false));
        s.listen(p, "127.0.0.1", () => s.close(() => res(true)));
      });
      if (ok) got.push(p);
    }
    console.log(got.join(" "));
  })();')
((${#PORTS[@]} == 17)) || die "could not find free ports"
ORIGIN_PORT=${PORTS[0]}
# The origin also listens on two more ports: barbican-lb balances over three targets.
ORIGIN_PORT2=${PORTS[5]}
ORIGIN_PORT3=${PORTS[7]}
declare -A PORT=([origin]=${PORTS[0]} [nginx]=${PORTS[1]} [node-http-proxy]=${PORTS[2]} [barbican]=${PORTS[3]} [haproxy]=${PORTS[4]} [barbican-lb]=${PORTS[6]}
  [nginx-2w]=${PORTS[8]} [barbican-auto]=${PORTS[9]} [barbican-log]=${PORTS[10]} [barbican-redis]=${PORTS[11]}
  [barbican-bare]=${PORTS[13]} [barbican-auto-bare]=${PORTS[14]} [barbican-auto-log]=${PORTS[15]} [node-raw]=${PORTS[16]})
declare -A NAME=([origin]=origin-direct [nginx]=nginx-proxy [node-http-proxy]=node-http-proxy [barbican]=barbican [haproxy]=haproxy [barbican-lb]=barbican-lb
  [nginx-2w]=nginx-2-workers [barbican-auto]=barbican-auto [barbican-log]=barbican-log [barbican-redis]=barbican-redis
  [barbican-bare]=barbican-bare [barbican-auto-bare]=barbican-auto-bare [barbican-auto-log]=barbican-auto-log [node-raw]=node-raw)
# barbican-redis: Barbican with state.redis on a redis-server started here (on LOAD_CPU).
REDIS_PORT=${PORTS[12]}
# Contenders with one worker per core: not pinned, they share every core with wrk and the origin.
ALL_CPUS=0-$(($(nproc) - 1))

# In idle-rss mode the proxies must keep idle client connections long enough to count them
# (Barbican and node:http default to 5 s; nginx 75 s).
IDLE_KEEPALIVE=75s

# ---------------------------------------------------------------- configs
# nginx runs its workers as 'nobody' when started as root; keep them as the invoking user
# so they can use the temp dir.
nginx_user_line() { [[ $EUID -ne 0 ]] || echo "user $(id -un) $(id -gn);"; }

nginx_common() { # $1 = dir, $2 = worker processes (default 1)
  cat <<EOF
$(nginx_user_line)
worker_processes ${2:-1};
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 8192; }
EOF
}
nginx_temp_paths() { # $1 = dir
  cat <<EOF
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
EOF
}

write_origin_conf() {
  local dir=$TMP/origin chunk maps="" refs="" i
  mkdir -p "$dir/empty"
  chmod 755 "$dir" "$dir/empty"
  # /100k is served from memory: 32 map variables of 3,200 bytes each (a single config
  # token is limited to ~4 KiB), concatenated by 'return'. No file I/O per request.
  chunk=$(printf '%3200s' '' | tr ' ' x)
  for i in $(seq 0 31); do
    maps+="  map \"\" \$b$i { default \"$chunk\"; }"$'\n'
    refs+="\$b$i"
  done
  # /html100k: 100 KiB of HTML-like text for the compression workloads (gzip, br), 32 different
  # pieces of 3,200 bytes (words from a fixed list, deterministic), so it compresses like a page.
  local html_maps html_refs=""
  html_maps=$("$NODE" -e '
    const w = ["<div class=item>", "<span>", "</span>", "</div>", "<a href=/p/", ">", "</a>", "<li>", "</li>", "barbican", "reverse", "proxy", "cache", "route", "upstream", "the", "and", "of", "to", "with", "request", "response", "header", "body"];
    let x = 7;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 32; i++) {
      let s = "";
      while (s.length < 3200) s += w[Math.floor(rnd() * w.length)] + (rnd() < 0.2 ? String(Math.floor(rnd() * 1000)) : "") + " ";
      console.log(`  map "" $h${i} { default "${s.slice(0, 3200)}"; }`);
    }')
  for i in $(seq 0 31); do html_refs+="\$h$i"; done
  {
    nginx_common "$dir"
    cat <<EOF
http {
  access_log off;
  sendfile off;          # sendfile + tcp_nopush on the origin add ~40 ms p99 to every proxy
  tcp_nopush off;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;   # default 1000 would make proxies reconnect all the time
  server_tokens off;
$(nginx_temp_paths "$dir")
$maps
$html_maps
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    listen 127.0.0.1:$ORIGIN_PORT2 backlog=4096;
    listen 127.0.0.1:$ORIGIN_PORT3 backlog=4096;
    client_max_body_size 1m;
    client_body_buffer_size 64k;   # a 10 KiB body stays in memory

    location = /small { default_type text/plain; return 200 "hello world\n"; }
    # 1 KiB that shared caches may keep for an hour: the 'cached' workload (proxies' cache hits).
    location = /cached { default_type text/plain; add_header Cache-Control "public, max-age=3600"; return 200 "$(printf '%1024s' '' | tr ' ' c)"; }
    location = /100k  { default_type application/octet-stream; return 200 "$refs"; }
    # The 'limited' workload: a small answer behind each proxy's rate limiter (never refused).
    location = /limited { default_type text/plain; return 200 "hello world\n"; }
    location = /html100k { default_type text/html; return 200 "$html_refs"; }

    # POST: read the whole request body into memory *before* answering, like an
    # application would ('return' alone would answer first and discard the body after).
    # mirror_request_body makes nginx read the body in the precontent phase; the mirror
    # subrequest goes to an internal no-op; then the (missing) static file yields 404,
    # turned into 200 "ok\n". No file is ever found, so nothing is read from disk.
    location = /post {
      mirror /_sink;
      mirror_request_body on;
      root $dir/empty;
      log_not_found off;
      open_file_cache max=16;
      open_file_cache_errors on;
      error_page 404 =200 @ok;
    }
    location = /_sink { internal; return 204; }
    location @ok { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
  } >"$dir/nginx.conf"
}

# nginx's default proxy buffers (8 x 4k) make it read a 100 KiB response in 4 KiB pieces:
# measured here at ~0.55x the throughput of 64 KiB buffers, which is what Node reads with.
nginx_buffer_lines() {
  case $NGINX_BUFFERS in
    default) ;;
    *) echo "      proxy_buffer_size 16k; proxy_buffers 8 $NGINX_BUFFERS; proxy_busy_buffers_size $((2 * ${NGINX_BUFFERS%k}))k;" ;;
  esac
}

# write_nginx_proxy_conf C: nginx (one worker), or nginx-2w (two workers, for barbican-auto).
write_nginx_proxy_conf() {
  local c=${1:-nginx} dir=$TMP/${1:-nginx} workers=1
  [[ $c == nginx-2w ]] && workers=2
  mkdir -p "$dir"
  {
    nginx_common "$dir" "$workers"
    cat <<EOF
http {
  access_log off;
  sendfile off;
  tcp_nopush off;
  tcp_nodelay on;
  keepalive_timeout $IDLE_KEEPALIVE;
  keepalive_requests 1000000;
$(nginx_temp_paths "$dir")
  upstream origin {
    server 127.0.0.1:$ORIGIN_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  # The 'cached' workload: nginx's own cache (files under the temp dir, in the page cache).
  proxy_cache_path $dir/cache keys_zone=bench:10m max_size=64m;
  # The 'limited' workload: every request goes through limit_req (a limit never reached).
  limit_req_zone \$binary_remote_addr zone=bench_rl:1m rate=1000000r/s;
  server {
    listen 127.0.0.1:${PORT[$c]} backlog=4096;
    client_max_body_size 1m;
    location = /cached {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
    }
    # The 'gzip' workload: on-the-fly gzip at Barbican's default level (5), as Barbican's route.
    # (nginx-light has no brotli module: for the 'br' workload nginx sends the page uncompressed.)
    location = /html100k {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
$(nginx_buffer_lines)
      gzip on;
      gzip_comp_level 5;
      gzip_types text/html;
      gzip_min_length 1024;
      gzip_proxied any;
      gzip_vary on;
    }
    location = /limited {
      limit_req zone=bench_rl burst=1000000 nodelay;
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
$(nginx_buffer_lines)
    }
  }
}
EOF
  } >"$dir/nginx.conf"
}

write_haproxy_conf() {
  local dir=$TMP/haproxy
  mkdir -p "$dir"
  cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive $IDLE_KEEPALIVE
frontend fe
  bind 127.0.0.1:${PORT[haproxy]}
  default_backend be
backend be
  http-reuse always
  server origin 127.0.0.1:$ORIGIN_PORT
EOF
}

# write_barbican_conf C: barbican (one target), barbican-lb (three targets on the same
# origin, round robin, active health checks every second: what balancing costs),
# barbican-log (JSON access log to a file and metrics on: what observability costs, against
# barbican-bare: access log and metrics off), or
# barbican-auto (server.workers: auto, against nginx-2w), barbican-auto-bare / barbican-auto-log
# (workers: auto, observability off / on: its cost with one worker per core), or barbican-redis
# (rate limits and the cache's second tier in Redis, against barbican).
write_barbican_conf() {
  local c=${1:-barbican} dir=$TMP/${1:-barbican} upstream server="" extra="" logging="{ accessLog: { format: off } }"
  mkdir -p "$dir"
  if [[ $c == barbican-lb ]]; then
    upstream="{ targets: [{ url: http://127.0.0.1:$ORIGIN_PORT }, { url: http://127.0.0.1:$ORIGIN_PORT2 }, { url: http://127.0.0.1:$ORIGIN_PORT3 }], healthCheck: { path: /small, interval: 1s } }"
  else
    upstream="{ targets: [{ url: http://127.0.0.1:$ORIGIN_PORT }] }"
  fi
  [[ $MODE != throughput ]] && server="limits: { keepAliveTimeout: $IDLE_KEEPALIVE }, "
  [[ $c == barbican-auto* ]] && server+="workers: auto, "
  [[ $c == barbican-redis ]] && extra="state: { redis: { url: \"redis://127.0.0.1:$REDIS_PORT\", keyPrefix: \"bench$$:\" } }"
  [[ $c == barbican-bare || $c == barbican-auto-bare ]] && extra="metrics: { enabled: false }"
  if [[ $c == barbican-log || $c == barbican-auto-log ]]; then
    logging="{ accessLog: { format: json, output: $dir/access.log } }"
    extra="metrics: { enabled: true }"$'\n'"admin: { address: 127.0.0.1:0 }"
  fi
  {
    [[ -n $server ]] && echo "server: { ${server%, } }"
    [[ -n $extra ]] && echo "$extra"
    cat <<EOF
listeners: [{ name: web, address: 127.0.0.1:${PORT[$c]} }]
upstreams: { origin: $upstream }
routes:
  - { match: { path: /cached }, upstream: origin, cache: { enabled: true } }
  - { match: { path: /html100k }, upstream: origin, compression: { algorithms: [br, gzip], level: { gzip: 5, br: 4 } } }
  # A limit never reached (every wrk connection is one client, 127.0.0.1): the cost of the decision.
  - { match: { path: /limited }, upstream: origin, rateLimit: { requests: 1000000, per: 1s, burst: 1000000 } }
  - { upstream: origin }
cache: { maxBytes: 64MiB }
logging: $logging
EOF
  } >"$dir/barbican.yaml"
}

# ---------------------------------------------------------------- contenders
CPID= # pid of the running contender (empty for origin-direct)

# start_contender C: start it pinned to PROXY_CPU; 0 when it answers on its port.
start_contender() {
  local c=$1 dir=$TMP/$1 cmd
  CPID=
  [[ $c == origin ]] && return 0
  mkdir -p "$dir"
  case $c in
    nginx)
      start_bg "$c" "$dir/stdout.log" taskset -c "$PROXY_CPU" "$NGINX" -p "$dir/" -c "$dir/nginx.conf"
      ;;
    nginx-2w)
      start_bg "$c" "$dir/stdout.log" taskset -c "$ALL_CPUS" "$NGINX" -p "$dir/" -c "$dir/nginx.conf"
      ;;
    haproxy)
      start_bg "$c" "$dir/stdout.log" taskset -c "$PROXY_CPU" "$HAPROXY" -db -f "$dir/haproxy.cfg"
      ;;
    node-http-proxy)
      local ka=5000
      [[ $MODE == throughput ]] || ka=75000
      start_bg "$c" "$dir/stdout.log" taskset -c "$PROXY_CPU" "$NODE" "$BENCH_DIR/node-http-proxy.mjs" \
        --port "${PORT[$c]}" --target "http://127.0.0.1:$ORIGIN_PORT" --keep-alive-timeout-ms "$ka"
      ;;
    node-raw)
      start_bg "$c" "$dir/stdout.log" taskset -c "$PROXY_CPU" "$NODE" "$BENCH_DIR/raw-node-proxy.mjs" \
        --port "${PORT[$c]}" --target "http://127.0.0.1:$ORIGIN_PORT"
      ;;
    barbican | barbican-bare | barbican-lb | barbican-log | barbican-auto | barbican-auto-bare | barbican-auto-log | barbican-redis)
      local cpus=$PROXY_CPU
      [[ $c == barbican-auto* ]] && cpus=$ALL_CPUS
      read -r -a cmd <<<"$BARBICAN_CMD"
      start_bg "$c" "$dir/stdout.log" bash -c 'cd "$1" && shift && exec "$@"' _ "$REPO_DIR" \
        taskset -c "$cpus" "${cmd[@]}" --config "$dir/barbican.yaml"
      ;;
  esac
  CPID=$LAST_PID
  if ! wait_port "${PORT[$c]}" "$CPID"; then
    return 1
  fi
  return 0
}

stop_contender() {
  [[ -n $CPID ]] && stop_pid "$CPID"
  CPID=
}

show_log_tail() { # C
  local f
  for f in "$TMP/$1/stdout.log" "$TMP/$1/error.log"; do
    [[ -s $f ]] || continue
    echo "    --- last lines of ${f#"$TMP"/} ---"
    tail -n 15 "$f" | sed 's/^/    /'
  done
}

# Functional check through the contender: right bodies, POST works, keep-alive works.
sanity_check() { # PORT -> prints a reason and returns 1 on failure
  "$NODE" --input-type=module -e '
    import http from "node:http";
    import zlib from "node:zlib";
    const port = Number(process.argv[1]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = (method, path, body, extra = {}) => new Promise((resolve, reject) => {
      const r = http.request({ host: "127.0.0.1", port, method, path, agent, timeout: 5000,
        headers: body ? { "content-type": "application/octet-stream", "content-length": body.length } : extra },
        (res) => { const parts = []; res.on("data", (d) => parts.push(d));
          res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) })); });
      r.on("timeout", () => r.destroy(new Error(`${method} ${path}: timeout`)));
      r.on("error", reject);
      r.end(body);
    });
    try {
      let r = await req("GET", "/small");
      if (r.status !== 200 || r.body.toString() !== "hello world\n") throw new Error(`GET /small: ${r.status} ${JSON.stringify(r.body.toString().slice(0, 80))}`);
      r = await req("GET", "/100k");
      if (r.status !== 200 || r.body.length !== 102400) throw new Error(`GET /100k: ${r.status}, ${r.body.length} bytes`);
      r = await req("POST", "/post", Buffer.alloc(10240, 120));
      if (r.status !== 200 || r.body.toString() !== "ok\n") throw new Error(`POST /post: ${r.status} ${JSON.stringify(r.body.toString().slice(0, 80))}`);
      r = await req("GET", "/small");
      if (r.status !== 200) throw new Error(`GET /small after POST: ${r.status}`);
      // The compression workloads: whatever the contender sends must decode to the 100 KiB page.
      for (const coding of ["gzip", "br"]) {
        r = await req("GET", "/html100k", undefined, { "accept-encoding": coding });
        const ce = r.headers["content-encoding"];
        const page = ce === "gzip" ? zlib.gunzipSync(r.body) : ce === "br" ? zlib.brotliDecompressSync(r.body) : r.body;
        if (r.status !== 200 || page.length !== 102400) throw new Error(`GET /html100k (${coding}): ${r.status}, ${ce ?? "identity"}, ${page.length} bytes`);
      }
      agent.destroy();
    } catch (e) { console.log(e.message); process.exit(1); }
  ' "$1"
}

# ---------------------------------------------------------------- wrk
declare -A URLPATH=([small]=/small [100k]=/100k [post]=/post [cached]=/cached [gzip]=/html100k [br]=/html100k [limited]=/limited)
declare -A WLNAME=([small]="GET /small" [100k]="GET /100k" [post]="POST /post 10KiB" [cached]="GET /cached 1KiB, cache hits" [gzip]="GET /html100k, Accept-Encoding: gzip" [br]="GET /html100k, Accept-Encoding: br" [limited]="GET /limited, rate-limited")

run_wrk() { # PORT WORKLOAD DURATION DURATION_SECS OUTFILE
  local port=$1 wl=$2 dur=$3 secs=$4 out=$5
  local -a args=(-t"$THREADS" -c"$CONNECTIONS" -d"$dur" --latency)
  [[ $wl == post ]] && args+=(-s "$BENCH_DIR/post.lua")
  [[ $wl == gzip || $wl == br ]] && args+=(-H "Accept-Encoding: $wl")
  # In the background + wait, so that a signal to this script interrupts at once.
  taskset -c "$LOAD_CPU" timeout -k 5 $((secs + 30)) "$WRK" "${args[@]}" "http://127.0.0.1:$port${URLPATH[$wl]}" >"$out" 2>&1 &
  local pid=$!
  STARTED[$pid]=wrk
  wait "$pid" || true
  unset "STARTED[$pid]"
}

# parse_wrk FILE -> "rps p99_ms requests errors" (NA where missing). Latency units: us ms s m h.
parse_wrk() {
  awk '
    function to_ms(v,   n, u) {
      n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n
      if (u == "s")  return n * 1000
      if (u == "m")  return n * 60000
      if (u == "h")  return n * 3600000
      return "NA"
    }
    /^Requests\/sec:/                 { rps = $2 }
    /^[ \t]+99(\.0+)?%[ \t]/          { p99 = to_ms($2) }
    /[0-9]+ requests in /             { reqs = $1 }
    /Socket errors:/                  { gsub(/,/, ""); errs += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/       { errs += $NF }
    END {
      if (rps == "") rps = "NA"; if (p99 == "") p99 = "NA"; if (reqs == "") reqs = "NA"
      print rps, p99, reqs, errs + 0
    }' "$1"
}

# CPU ticks (user + system) of a process tree.
cpu_ticks() {
  local total=0 p s
  local -a f
  for p in $(tree_pids "$1"); do
    s=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    s=${s##*) }
    read -r -a f <<<"$s"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# Busy ticks (user nice system irq softirq steal) of the two CPUs used by the benchmark.
busy_ticks() {
  awk -v a="cpu$LOAD_CPU" -v b="cpu$PROXY_CPU" '$1 == a || $1 == b { t += $2 + $3 + $4 + $7 + $8 + $9 } END { print t }' /proc/stat
}
# "busy total" ticks of one CPU (everything but idle and iowait).
cpu_busy_total() {
  awk -v n="cpu$1" '$1 == n { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
# CPU ticks of this shell's reaped children (wrk, via timeout).
self_child_ticks() {
  local s
  local -a f
  s=$(</proc/$$/stat)
  s=${s##*) }
  read -r -a f <<<"$s"
  echo $((f[13] + f[14]))
}

# measure C WORKLOAD OUTFILE [RETRIES]: one wrk run against contender C (repeated up to RETRIES,
# default NOISE_RETRIES, times while other processes on the machine used more than NOISE_LIMIT % of a core; the
# quietest attempt is kept). Sets M_RPS M_P99 M_REQS M_ERRS M_CPU M_OTHER_PCT, and
# M_PROXY_PCT / M_LOAD_PCT: how busy (incl. softirq) the proxy CPU / the wrk+origin CPU was.
# "other" = busy ticks of the two CPUs minus the ticks of wrk, the origin and the proxy:
# CPU taken by processes that are not part of the benchmark (e.g. a build running meanwhile).
measure() {
  local c=$1 wl=$2 out=$3 retries=${4:-$NOISE_RETRIES} try best_other=
  local b0 b1 s0 s1 o0 o1 p0 p1 w0 w1 other proxy_pct load_pct cpu rps p99 reqs errs
  local lb0 lt0 lb1 lt1 pb0 pt0 pb1 pt1
  for ((try = 0; try <= retries; try++)); do
    p0=0 p1=0
    [[ -n $CPID ]] && p0=$(cpu_ticks "$CPID")
    o0=$(cpu_ticks "$ORIGIN_PID")
    s0=$(self_child_ticks)
    b0=$(busy_ticks)
    read -r lb0 lt0 < <(cpu_busy_total "$LOAD_CPU")
    read -r pb0 pt0 < <(cpu_busy_total "$PROXY_CPU")
    w0=$EPOCHREALTIME
    run_wrk "${PORT[$c]}" "$wl" "$DURATION" "$DUR_SECS" "$out.try"
    w1=$EPOCHREALTIME
    read -r lb1 lt1 < <(cpu_busy_total "$LOAD_CPU")
    read -r pb1 pt1 < <(cpu_busy_total "$PROXY_CPU")
    b1=$(busy_ticks)
    s1=$(self_child_ticks)
    o1=$(cpu_ticks "$ORIGIN_PID")
    [[ -n $CPID ]] && p1=$(cpu_ticks "$CPID")
    ((p1 >= p0)) || p1=$p0 # the proxy died meanwhile
    read -r rps p99 reqs errs < <(parse_wrk "$out.try")
    read -r other proxy_pct load_pct < <(awk -v w0="$w0" -v w1="$w1" -v hz="$CLK_TCK" -v b=$((b1 - b0)) \
      -v ours=$((s1 - s0 + o1 - o0 + p1 - p0)) -v pb=$((pb1 - pb0)) -v pt=$((pt1 - pt0)) \
      -v lb=$((lb1 - lb0)) -v lt=$((lt1 - lt0)) \
      'BEGIN { win = (w1 - w0) * hz; o = (b - ours) / win * 100; if (o < 0) o = 0
               printf "%.0f %.0f %.0f\n", o, (pt > 0 ? pb / pt * 100 : 0), (lt > 0 ? lb / lt * 100 : 0) }')
    cpu=NA
    if [[ -n $CPID && $reqs != NA ]] && ((reqs > 0)); then
      cpu=$(awk -v d=$((p1 - p0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
    fi
    if [[ -z $best_other ]] || ((other < best_other)); then
      best_other=$other
      mv "$out.try" "$out"
      M_RPS=$rps M_P99=$p99 M_REQS=$reqs M_ERRS=$errs M_CPU=$cpu M_OTHER_PCT=$other
      M_PROXY_PCT=$([[ -n $CPID ]] && echo "$proxy_pct" || echo NA) M_LOAD_PCT=$load_pct
    fi
    ((other > NOISE_LIMIT && try < retries)) || break
    log "   ${NAME[$c]} ${WLNAME[$wl]}: other processes used ${other}% of a core meanwhile; repeating"
  done
  rm -f "$out.try"
}

# ---------------------------------------------------------------- machine info
machine_info() {
  log "== machine"
  log "nproc:   $(nproc)"
  log "cpu:     $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  log "kernel:  $(uname -r)"
  log "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
  log "node:    $("$NODE" --version)"
  log "nginx:   $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
  log "wrk:     $("$WRK" -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
  if [[ " $CONTENDERS " == *" haproxy "* ]]; then log "haproxy: $("$HAPROXY" -v | head -n 1)"; fi
  log "barbican: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD 2>/dev/null || echo ' (working tree has changes)')"
  log "pinning: wrk + origin on CPU $LOAD_CPU, proxy under test on CPU $PROXY_CPU"
  log ""
}

# ---------------------------------------------------------------- origin
start_origin() {
  write_origin_conf
  start_bg origin "$TMP/origin/stdout.log" taskset -c "$LOAD_CPU" "$NGINX" -p "$TMP/origin/" -c "$TMP/origin/nginx.conf"
  ORIGIN_PID=$LAST_PID
  if ! wait_port "$ORIGIN_PORT" "$ORIGIN_PID"; then
    show_log_tail origin
    die "the nginx origin did not start"
  fi
  local why
  if ! why=$(sanity_check "$ORIGIN_PORT"); then
    show_log_tail origin
    die "the nginx origin does not answer as expected: $why"
  fi
  log "origin: nginx on 127.0.0.1:$ORIGIN_PORT (pid $ORIGIN_PID, CPU $LOAD_CPU)"
}

write_all_confs() {
  for c in $CONTENDERS; do
    case $c in
      nginx | nginx-2w) write_nginx_proxy_conf "$c" ;;
      haproxy) write_haproxy_conf ;;
      barbican | barbican-bare | barbican-lb | barbican-log | barbican-auto | barbican-auto-bare | barbican-auto-log | barbican-redis) write_barbican_conf "$c" ;;
    esac
  done
}

# ---------------------------------------------------------------- throughput
TSV_HEADER=$'round\tcontender\tworkload\trps\tp99_ms\trequests\terrors\tcpu_us_per_req\tproxy_cpu_pct\tload_cpu_pct\tother_cpu_pct'

# record_run TSV ROUND C WORKLOAD WRK_OUTPUT: append measure's M_* to the TSV and print the line.
record_run() {
  tsv_row "$1" "$2" "$3" "$4"
  print_run "$3" "$4" "$5"
}
tsv_row() { # TSV ROUND C WORKLOAD
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$M_RPS" "$M_P99" "$M_REQS" "$M_ERRS" \
    "$M_CPU" "$M_PROXY_PCT" "$M_LOAD_PCT" "$M_OTHER_PCT" >>"$1"
}
print_run() { # C WORKLOAD WRK_OUTPUT
  local c=$1 wl=$2 out=$3
  printf '   %-16s %-17s %10s req/s  p99 %8s ms  errors %s%s  load cpu %s%%  other procs %s%%%s\n' \
    "${NAME[$c]}" "${WLNAME[$wl]}" "$M_RPS" "$M_P99" "$M_ERRS" \
    "$([[ $M_CPU == NA ]] || echo "  proxy ${M_CPU} us/req, proxy cpu ${M_PROXY_PCT}%")" \
    "$M_LOAD_PCT" "$M_OTHER_PCT" "$( ((M_OTHER_PCT <= NOISE_LIMIT)) || echo '  NOISY')"
  if [[ $M_RPS == NA ]]; then
    sed 's/^/      wrk: /' "$out" | tail -n 5
  fi
}

# na_row ROUND C WORKLOAD: a failed measurement (appends to the caller's $tsv).
na_row() { printf '%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n' "$1" "$2" "$3" >>"$tsv"; }

throughput() {
  local -a order=($CONTENDERS)
  local n=${#order[@]} round i c wl why
  local res=${RESULTS_DIR:-$TMP/results}
  declare -A SKIP=()
  mkdir -p "$res/raw"
  local tsv=$res/results.tsv
  echo "$TSV_HEADER" >"$tsv"

  local per=$(((WARMUP_SECS + DUR_SECS) * $(wc -w <<<"$WORKLOADS") + 2))
  log "== throughput: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS round(s), warm-up $WARMUP per workload"
  log "   contenders: $CONTENDERS; workloads: $WORKLOADS (about $((per * n * ROUNDS / 60 + 1)) min)"
  log ""

  for ((round = 1; round <= ROUNDS; round++)); do
    log "-- round $round/$ROUNDS"
    # Rotate the starting contender each round so no one always runs first/last.
    for ((i = 0; i < n; i++)); do
      c=${order[$(((i + round - 1) % n))]}
      if [[ -n ${SKIP[$c]:-} ]]; then
        log "   ${NAME[$c]}: skipped (${SKIP[$c]})"
        for wl in $WORKLOADS; do na_row "$round" "$c" "$wl"; done
        continue
      fi
      if ! start_contender "$c"; then
        if [[ -n $CPID && -d /proc/$CPID && $(awk '{print $3}' /proc/"$CPID"/stat 2>/dev/null) != Z ]]; then
          log "   ${NAME[$c]}: skipped: did not start (no answer on 127.0.0.1:${PORT[$c]} within ${STARTUP_TIMEOUT}s)"
        else
          log "   ${NAME[$c]}: skipped: did not start (exited)"
        fi
        show_log_tail "$c"
        stop_contender
        ((round == 1)) && SKIP[$c]="did not start"
        for wl in $WORKLOADS; do na_row "$round" "$c" "$wl"; done
        continue
      fi
      if ! why=$(sanity_check "${PORT[$c]}"); then
        log "   ${NAME[$c]}: skipped: sanity check failed: $why"
        show_log_tail "$c"
        stop_contender
        ((round == 1)) && SKIP[$c]="sanity check failed"
        for wl in $WORKLOADS; do na_row "$round" "$c" "$wl"; done
        continue
      fi
      for wl in $WORKLOADS; do
        if [[ -n $CPID && ! -d /proc/$CPID ]]; then
          log "   ${NAME[$c]} ${WLNAME[$wl]}: not running any more"
          na_row "$round" "$c" "$wl"
          continue
        fi
        ((WARMUP_SECS > 0)) && run_wrk "${PORT[$c]}" "$wl" "$WARMUP" "$WARMUP_SECS" "$res/raw/warmup.txt"
        measure "$c" "$wl" "$res/raw/r$round-$c-$wl.txt"
        record_run "$tsv" "$round" "$c" "$wl" "$res/raw/r$round-$c-$wl.txt"
      done
      if [[ -n $CPID && ! -d /proc/$CPID ]]; then
        log "   ${NAME[$c]}: exited during the run"
        show_log_tail "$c"
      fi
      stop_contender
    done
  done
  rm -f "$res/raw/warmup.txt"

  log ""
  log "== results"
  NOISE_LIMIT=$NOISE_LIMIT "$NODE" "$BENCH_DIR/summarize.mjs" "$tsv"
  if [[ -n $RESULTS_DIR ]]; then
    log ""
    log "raw wrk output and results.tsv kept in $RESULTS_DIR"
  fi
}

# ---------------------------------------------------------------- throughput, paired
# PAIRED=1: the runs whose ratio we quote must be seconds apart, not minutes. On a shared VM the
# speed of the whole machine drifts by +-30% over minutes, so a ratio of two runs 20+ s apart
# measures the drift as much as the proxies. Here every contender is started once and kept
# running (an idle proxy costs nothing), the loop is round -> workload -> contender, and each
# round's order changes (paired_order), so that for every workload the contenders run back to
# back and summarize.mjs can divide each run by the BASELINE's run of the same round.

# is_running PID: the process exists and is not a zombie.
is_running() { [[ -d /proc/$1 && $(awk '{print $3}' /proc/"$1"/stat 2>/dev/null) != Z ]]; }

# paired_order ROUND C...: this round's order, one per line. Odd rounds rotate the list by one
# more step every other round; even rounds run the previous round's order backwards. So any
# two contenders swap places from one round to the next (a linear drift favours neither), and
# every contender goes first now and then.
paired_order() {
  local round=$1 i k n
  shift
  local -a list=("$@") o=()
  n=${#list[@]}
  k=$((((round - 1) / 2) % n))
  for ((i = 0; i < n; i++)); do o+=("${list[$(((i + k) % n))]}"); done
  if ((round % 2 == 0)); then
    for ((i = n - 1; i >= 0; i--)); do echo "${o[i]}"; done
  else
    printf '%s\n' "${o[@]}"
  fi
}

throughput_paired() {
  local -a order=($CONTENDERS) this=()
  local n=${#order[@]} nw round c wl why line skipped try best_other best_try group_other
  local res=${RESULTS_DIR:-$TMP/results}
  declare -A SKIP=() CPIDS=() RPS=() GOT=() BEST=()
  mkdir -p "$res/raw"
  local tsv=$res/results.tsv
  echo "$TSV_HEADER" >"$tsv"

  nw=$(wc -w <<<"$WORKLOADS")
  log "== throughput, paired: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS round(s), warm-up $WARMUP per run"
  log "   contenders (all running for the whole batch): $CONTENDERS; workloads: $WORKLOADS"
  log "   per-round ratios to: $BASELINE; start warm-up $START_WARMUP per contender and workload" \
    "(about $(((START_WARMUP_SECS * nw * n + (WARMUP_SECS + DUR_SECS) * nw * n * ROUNDS) / 60 + 1)) min)"
  log ""

  for c in "${order[@]}"; do
    if ! start_contender "$c"; then
      if [[ -n $CPID ]] && is_running "$CPID"; then
        log "   ${NAME[$c]}: skipped: did not start (no answer on 127.0.0.1:${PORT[$c]} within ${STARTUP_TIMEOUT}s)"
      else
        log "   ${NAME[$c]}: skipped: did not start (exited)"
      fi
      show_log_tail "$c"
      stop_contender
      SKIP[$c]="did not start"
      continue
    fi
    if ! why=$(sanity_check "${PORT[$c]}"); then
      log "   ${NAME[$c]}: skipped: sanity check failed: $why"
      show_log_tail "$c"
      stop_contender
      SKIP[$c]="sanity check failed"
      continue
    fi
    CPIDS[$c]=$CPID
    log "   ${NAME[$c]}: up on 127.0.0.1:${PORT[$c]}${CPID:+ (pid $CPID)}"
  done
  CPID=
  for c in $BASELINE; do
    [[ -z ${SKIP[$c]:-} ]] || log "warning: the baseline ${NAME[$c]} is not running: no paired ratios to it"
  done

  # JIT and connection pools warm before round 1, so that the first round is not the warm-up.
  if ((START_WARMUP_SECS > 0)); then
    for wl in $WORKLOADS; do
      for c in "${order[@]}"; do
        [[ -z ${SKIP[$c]:-} ]] || continue
        run_wrk "${PORT[$c]}" "$wl" "$START_WARMUP" "$START_WARMUP_SECS" "$res/raw/warmup.txt"
      done
    done
  fi

  for ((round = 1; round <= ROUNDS; round++)); do
    mapfile -t this < <(paired_order "$round" "${order[@]}")
    log "-- round $round/$ROUNDS (order: ${this[*]})"
    skipped=
    for c in "${this[@]}"; do
      if [[ -z ${SKIP[$c]:-} && -n ${CPIDS[$c]:-} ]] && ! is_running "${CPIDS[$c]}"; then
        log "   ${NAME[$c]}: exited during the run"
        show_log_tail "$c"
        SKIP[$c]="exited"
      fi
      [[ -z ${SKIP[$c]:-} ]] || skipped+=" ${NAME[$c]} (${SKIP[$c]}),"
    done
    [[ -z $skipped ]] || log "   skipped:${skipped%,}"
    for wl in $WORKLOADS; do
      # The group (every contender once on this workload) is what gets repeated when other
      # processes were busy, never one run alone: a pair must share its conditions.
      best_other='' best_try=0
      BEST=()
      for ((try = 0; try <= NOISE_RETRIES; try++)); do
        GOT=()
        group_other=0
        for c in "${this[@]}"; do
          if [[ -n ${SKIP[$c]:-} ]] || { [[ -n ${CPIDS[$c]:-} ]] && ! is_running "${CPIDS[$c]}"; }; then continue; fi
          CPID=${CPIDS[$c]:-}
          ((WARMUP_SECS > 0)) && run_wrk "${PORT[$c]}" "$wl" "$WARMUP" "$WARMUP_SECS" "$res/raw/warmup.txt"
          measure "$c" "$wl" "$res/raw/r$round-$c-$wl.try$try.txt" 0
          print_run "$c" "$wl" "$res/raw/r$round-$c-$wl.try$try.txt"
          GOT[$c]="$M_RPS $M_P99 $M_REQS $M_ERRS $M_CPU $M_PROXY_PCT $M_LOAD_PCT $M_OTHER_PCT"
          if ((M_OTHER_PCT > group_other)); then group_other=$M_OTHER_PCT; fi
          CPID=
        done
        if [[ -z $best_other ]] || ((group_other < best_other)); then
          best_other=$group_other best_try=$try
          BEST=()
          for c in "${!GOT[@]}"; do BEST[$c]=${GOT[$c]}; done
        fi
        ((group_other > NOISE_LIMIT && try < NOISE_RETRIES)) || break
        log "   ${WLNAME[$wl]}: other processes used up to ${group_other}% of a core during these runs; repeating all of them"
      done
      if ((try > 0)); then log "   ${WLNAME[$wl]}: kept attempt $((best_try + 1)) (other processes up to ${best_other}%)"; fi
      RPS=()
      for c in "${this[@]}"; do
        if [[ -z ${BEST[$c]:-} ]]; then
          na_row "$round" "$c" "$wl"
          continue
        fi
        read -r M_RPS M_P99 M_REQS M_ERRS M_CPU M_PROXY_PCT M_LOAD_PCT M_OTHER_PCT <<<"${BEST[$c]}"
        mv "$res/raw/r$round-$c-$wl.try$best_try.txt" "$res/raw/r$round-$c-$wl.txt"
        tsv_row "$tsv" "$round" "$c" "$wl"
        RPS[$c]=$M_RPS
      done
      rm -f "$res/raw/r$round-"*"-$wl.try"*.txt
      # This round's req/s ratios, as they come (the summary gives their medians).
      line=
      if [[ ${RPS[$BASE1]:-NA} != NA ]]; then
        for c in "${order[@]}"; do
          [[ $c != "$BASE1" && ${RPS[$c]:-NA} != NA ]] || continue
          line+="  ${NAME[$c]} $(awk -v a="${RPS[$c]}" -v b="${RPS[$BASE1]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
        done
      fi
      if [[ -n $line ]]; then log "   ${WLNAME[$wl]}: req/s / ${NAME[$BASE1]}:$line"; fi
    done
  done
  rm -f "$res/raw/warmup.txt"
  for c in "${order[@]}"; do
    if [[ -n ${CPIDS[$c]:-} ]]; then stop_pid "${CPIDS[$c]}"; fi
  done

  log ""
  log "== results"
  NOISE_LIMIT=$NOISE_LIMIT "$NODE" "$BENCH_DIR/summarize.mjs" --paired --baseline "$BASELINE" "$tsv"
  if [[ -n $RESULTS_DIR ]]; then
    log ""
    log "raw wrk output and results.tsv kept in $RESULTS_DIR"
  fi
}

# ---------------------------------------------------------------- idle RSS
idle_rss() {
  local c why
  log "== idle RSS: $IDLE_CONNECTIONS idle keep-alive connections per proxy (each did one GET /small)"
  for c in $CONTENDERS; do
    [[ $c == origin ]] && continue
    if ! start_contender "$c"; then
      log "   ${NAME[$c]}: skipped: did not start"
      show_log_tail "$c"
      stop_contender
      continue
    fi
    if ! why=$(sanity_check "${PORT[$c]}"); then
      log "   ${NAME[$c]}: skipped: sanity check failed: $why"
      stop_contender
      continue
    fi
    printf '   %-16s ' "${NAME[$c]}"
    taskset -c "$LOAD_CPU" timeout -k 5 120 "$NODE" "$BENCH_DIR/idle-rss.mjs" --port "${PORT[$c]}" --pid "$CPID" \
      --connections "$IDLE_CONNECTIONS" || log "   (idle-rss probe failed for ${NAME[$c]})"
    stop_contender
  done
  log "   (RSS summed over the proxy's processes: for nginx the master and its worker)"
}

# redis-server for barbican-redis, pinned with the load (no persistence, loopback only).
start_redis() {
  [[ " $CONTENDERS " == *" barbican-redis "* ]] || return 0
  mkdir -p "$TMP/redis"
  start_bg redis "$TMP/redis/stdout.log" taskset -c "$LOAD_CPU" "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 \
    --save "" --appendonly no --dir "$TMP/redis"
  wait_port "$REDIS_PORT" "$LAST_PID" || die "redis-server did not start on 127.0.0.1:$REDIS_PORT"
  log "redis:  redis-server on 127.0.0.1:$REDIS_PORT (pid $LAST_PID, CPU $LOAD_CPU) for barbican-redis"
}

# ---------------------------------------------------------------- main
throughput_any() { if [[ $PAIRED == 1 ]]; then throughput_paired; else throughput; fi; }

machine_info
start_origin
start_redis
log ""
case $MODE in
  throughput | idle-rss)
    write_all_confs
    if [[ $MODE == throughput ]]; then throughput_any; else idle_rss; fi
    ;;
  all)
    MODE=throughput
    write_all_confs
    throughput_any
    log ""
    MODE=idle-rss
    CONTENDERS=${CONTENDERS//origin/}
    write_all_confs
    idle_rss
    ;;
esac
