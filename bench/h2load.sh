#!/usr/bin/env bash
# HTTP/2 listener benchmark: Barbican against nginx (`http2`), both in front of the same nginx
# HTTP/1.1 origin, driven by h2load (nghttp2-client). One command:
#
#   bash bench/h2load.sh                    # TLS (ALPN h2) and h2c, GET /small, 3 interleaved rounds
#   DURATION=3 ROUNDS=1 bash bench/h2load.sh   # quick smoke run
#
# Knobs (environment): DURATION (s, 10) WARMUP (s, 2; at least 1: h2load counts nothing when
# its connections are not up before the measured period, and TLS handshakes take a while) ROUNDS (3) CLIENTS (h2load -c, 64)
# STREAMS (h2load -m, concurrent streams per connection, 10) MODES ("tls h2c") WORKLOADS
# ("small 100k") LOAD_CPU (0: origin + h2load) PROXY_CPU (1: the proxy) NODE NGINX H2LOAD.
# Same method as bench/run.sh (docs/benchmarks.md): everything on 127.0.0.1, pinned with
# taskset, rounds interleaved so drift hits both contenders alike, every process stopped and the
# temp dir removed on exit. Needs: apt-get install -y nghttp2-client nginx-light; npm run build.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-64}
STREAMS=${STREAMS:-10}
MODES=${MODES:-tls h2c}
WORKLOADS=${WORKLOADS:-small 100k}
LOAD_CPU=${LOAD_CPU:-0}
PROXY_CPU=${PROXY_CPU:-1}
NODE=${NODE:-node}
NGINX=${NGINX:-nginx}
H2LOAD=${H2LOAD:-h2load}

die() { echo "error: $*" >&2; exit 1; }
for tool in "$NODE" "$NGINX" "$H2LOAD" taskset openssl timeout; do
  command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install -y nghttp2-client nginx-light openssl)"
done
[[ -f $REPO_DIR/dist/main.js ]] || die "Barbican is not built (npm run build)"
[[ $DURATION =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "DURATION, WARMUP (>= 1), ROUNDS: whole numbers"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/barbican-h2bench.XXXXXX")
chmod 755 "$TMP"
PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do
    pkill -TERM -P "$p" 2>/dev/null || true
    kill -TERM "$p" 2>/dev/null || true
  done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {
  "$NODE" -e '
    const net = require("net"); const got = [];
    (async () => { while (got.length < 5) { const p = 20000 + Math.floor(Math.random() * 12000);
      if (got.includes(p)) continue;
      if (await new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); })) got.push(p); }
      console.log(got.join(" ")); })();'
}
read -r ORIGIN_PORT NGINX_TLS NGINX_H2C BARB_TLS BARB_H2C < <(free_ports)

wait_port() { # PORT
  local i
  for ((i = 0; i < 150; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on 127.0.0.1:$1"
}

# Self-signed certificate for 127.0.0.1 (both proxies serve the same one).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test \
  -addext "subjectAltName=DNS:bench.test,IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null

user_line() { [[ $EUID -ne 0 ]] || echo "user $(id -un) $(id -gn);"; }
temp_paths() { # DIR
  echo "client_body_temp_path $1/cb; proxy_temp_path $1/px; fastcgi_temp_path $1/fc; uwsgi_temp_path $1/uw; scgi_temp_path $1/sc;"
}

# nginx ≥ 1.25.1 has `http2 on;`; older ones take `http2` on the listen line.
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed -n 's#.*nginx/\([0-9.]*\).*#\1#p')
if printf '%s\n1.25.1\n' "$NGINX_VERSION" | sort -V -C; then
  LISTEN_H2=" http2"; HTTP2_ON=""
else
  LISTEN_H2=""; HTTP2_ON="http2 on;"
fi

mkdir -p "$TMP/origin" "$TMP/nginx" "$TMP/barbican"
BODY100K=$(printf '%3200s' '' | tr ' ' x)
{
  echo "$(user_line) worker_processes 1; daemon off; pid $TMP/origin/nginx.pid; error_log $TMP/origin/error.log warn; events { worker_connections 8192; }"
  cat <<EOF2
http {
  access_log off; sendfile off; tcp_nopush off; tcp_nodelay on; keepalive_requests 1000000; server_tokens off;
  $(temp_paths "$TMP/origin")
  map "" \$b { default "$BODY100K"; }
  server {
    listen 127.0.0.1:$ORIGIN_PORT backlog=4096;
    location = /small { default_type text/plain; return 200 "hello world\n"; }
    location = /100k { default_type application/octet-stream; return 200 "\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b\$b"; }
  }
}
EOF2
} >"$TMP/origin/nginx.conf"
{
  echo "$(user_line) worker_processes 1; daemon off; pid $TMP/nginx/nginx.pid; error_log $TMP/nginx/error.log warn; events { worker_connections 8192; }"
  cat <<EOF2
http {
  access_log off; sendfile off; tcp_nopush off; tcp_nodelay on; keepalive_requests 1000000;
  $(temp_paths "$TMP/nginx")
  $HTTP2_ON
  http2_max_concurrent_streams 128;
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$NGINX_TLS ssl$LISTEN_H2 backlog=4096;
    ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffers 8 64k; }
  }
  server {
    listen 127.0.0.1:$NGINX_H2C$LISTEN_H2 backlog=4096;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffers 8 64k; }
  }
}
EOF2
} >"$TMP/nginx/nginx.conf"
cat >"$TMP/barbican/barbican.yaml" <<EOF2
listeners:
  - { name: tls, address: 127.0.0.1:$BARB_TLS, http2: true, tls: { certificates: [{ certFile: $TMP/cert.pem, keyFile: $TMP/key.pem }] } }
  - { name: h2c, address: 127.0.0.1:$BARB_H2C, h2c: true }
server: { http2: { maxConcurrentStreams: 128 } }
upstreams: { origin: { targets: [{ url: http://127.0.0.1:$ORIGIN_PORT }] } }
routes: [{ upstream: origin }]
logging: { accessLog: { format: off } }
EOF2

taskset -c "$LOAD_CPU" "$NGINX" -p "$TMP/origin/" -c "$TMP/origin/nginx.conf" >"$TMP/origin/out.log" 2>&1 &
PIDS+=($!)
wait_port "$ORIGIN_PORT"

start() { # CONTENDER -> sets CPID
  case $1 in
    nginx) taskset -c "$PROXY_CPU" "$NGINX" -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/out.log" 2>&1 & ;;
    barbican) (cd "$REPO_DIR" && exec taskset -c "$PROXY_CPU" "$NODE" bin/barbican.js --config "$TMP/barbican/barbican.yaml") >"$TMP/barbican/out.log" 2>&1 & ;;
  esac
  CPID=$!
  PIDS+=("$CPID")
  if [[ $1 == nginx ]]; then wait_port "$NGINX_TLS"; wait_port "$NGINX_H2C"; else wait_port "$BARB_TLS"; wait_port "$BARB_H2C"; fi
}
stop() {
  pkill -TERM -P "$CPID" 2>/dev/null || true
  kill -TERM "$CPID" 2>/dev/null || true
  wait "$CPID" 2>/dev/null || true
}
url() { # CONTENDER MODE WORKLOAD
  local port
  case $1-$2 in nginx-tls) port=$NGINX_TLS ;; nginx-h2c) port=$NGINX_H2C ;; barbican-tls) port=$BARB_TLS ;; barbican-h2c) port=$BARB_H2C ;; esac
  [[ $2 == tls ]] && echo "https://127.0.0.1:$port/$3" || echo "http://127.0.0.1:$port/$3"
}

echo "== h2load: -c$CLIENTS -m$STREAMS, ${DURATION}s per run (+${WARMUP}s warm-up), $ROUNDS round(s); nginx $NGINX_VERSION, $("$H2LOAD" --version | head -1), node $("$NODE" --version)"
echo "   origin + h2load on CPU $LOAD_CPU, proxy on CPU $PROXY_CPU"
RESULTS=$TMP/results.tsv
: >"$RESULTS"
for ((round = 1; round <= ROUNDS; round++)); do
  order="nginx barbican"
  ((round % 2 == 0)) && order="barbican nginx"
  for c in $order; do
    start "$c"
    for mode in $MODES; do
      for wl in $WORKLOADS; do
        out=$TMP/$c-$mode-$wl-$round.txt
        taskset -c "$LOAD_CPU" timeout $((DURATION + WARMUP + 30)) "$H2LOAD" -c "$CLIENTS" -m "$STREAMS" -t 1 -D "$DURATION" --warm-up-time "$WARMUP" "$(url "$c" "$mode" "$wl")" >"$out" 2>&1 || true
        rps=$(sed -n 's/.*finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$out")
        failed=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$out")
        mean=$(awk '/time for request:/ {print $5}' "$out")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$c" "$mode" "$wl" "${rps:-NA}" "${mean:-NA}" "${failed:-NA}" >>"$RESULTS"
        printf '   round %d  %-9s %-4s %-6s %10s req/s  mean %8s  failed %s\n' "$round" "$c" "$mode" "$wl" "${rps:-NA}" "${mean:-NA}" "${failed:-NA}"
        [[ -n $rps ]] || tail -n 5 "$out" | sed 's/^/      h2load: /'
      done
    done
    stop
  done
done

echo
echo "== medians (req/s; Barbican / nginx)"
"$NODE" -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
  const med = (a) => { a = a.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y); return a.length ? a[(a.length - 1) >> 1] : NaN; };
  const keys = [...new Set(rows.map((r) => r[2] + " " + r[3]))];
  for (const k of keys) {
    const get = (c) => med(rows.filter((r) => r[1] === c && r[2] + " " + r[3] === k).map((r) => Number(r[4])));
    const n = get("nginx"), b = get("barbican");
    console.log(`   ${k.padEnd(12)} nginx ${n.toFixed(0).padStart(8)}   barbican ${b.toFixed(0).padStart(8)}   ${(b / n).toFixed(2)}x`);
  }' "$RESULTS"
