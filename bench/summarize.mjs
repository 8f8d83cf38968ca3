// Summarise bench/run.sh results: medians per contender and workload, plus ratios.
//
//   node bench/summarize.mjs RESULTS.tsv
//
// RESULTS.tsv columns (tab-separated, header line first):
//   round contender workload rps p99_ms requests errors cpu_us_per_req proxy_cpu_pct load_cpu_pct
//   other_cpu_pct
// A value of NA means the measurement failed (contender down, wrk failed).
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/summarize.mjs RESULTS.tsv');
  process.exit(2);
}

const NAMES = {
  origin: 'origin-direct',
  nginx: 'nginx-proxy',
  haproxy: 'haproxy',
  'node-http-proxy': 'node-http-proxy',
  barbican: 'barbican',
  'barbican-lb': 'barbican (3 targets + health checks)',
  'barbican-redis': 'barbican + state.redis',
  'barbican-log': 'barbican (JSON access log + metrics)',
  'nginx-2w': 'nginx-proxy, 2 workers',
  'barbican-auto': 'barbican, workers: auto',
};
const WORKLOADS = { small: 'GET /small (12 B)', '100k': 'GET /100k (100 KiB)', post: 'POST /post (10 KiB)', cached: 'GET /cached (1 KiB, cache hits)', limited: 'GET /limited (rate-limited, never refused)', gzip: 'GET /html100k (100 KiB HTML, gzip)', br: 'GET /html100k (100 KiB HTML, br)' };

const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
const header = lines.shift().split('\t');
const rows = lines.filter(Boolean).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [header[i], v])));

const num = (v) => (v === undefined || v === 'NA' || v === '' ? NaN : Number(v));
function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// Keep first-seen order (run.sh writes contenders and workloads in the order requested).
const contenders = [...new Set(rows.map((r) => r.contender))];
const workloads = [...new Set(rows.map((r) => r.workload))];

const stats = new Map(); // `${c}\t${w}` -> { rps, p99, cpu, errors, ok, n }
for (const c of contenders) {
  for (const w of workloads) {
    const rs = rows.filter((r) => r.contender === c && r.workload === w);
    if (rs.length === 0) continue;
    stats.set(`${c}\t${w}`, {
      rps: median(rs.map((r) => num(r.rps))),
      p99: median(rs.map((r) => num(r.p99_ms))),
      cpu: median(rs.map((r) => num(r.cpu_us_per_req))),
      core: median(rs.map((r) => num(r.proxy_cpu_pct))),
      load: median(rs.map((r) => num(r.load_cpu_pct))),
      other: median(rs.map((r) => num(r.other_cpu_pct))),
      otherMax: Math.max(0, ...rs.map((r) => num(r.other_cpu_pct)).filter(Number.isFinite)),
      errors: rs.reduce((s, r) => s + (Number.isFinite(num(r.errors)) ? num(r.errors) : 0), 0),
      ok: rs.filter((r) => Number.isFinite(num(r.rps))).length,
      n: rs.length,
    });
  }
}
const get = (c, w) => stats.get(`${c}\t${w}`);

const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fmtMs = (x) => (!Number.isFinite(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtCpu = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '-');

function table(headers, body, alignLeft = 2) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const fmt = (r) =>
    r.map((v, i) => (i < alignLeft ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join('  ');
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

const has = (c) => contenders.includes(c);
const headers = ['workload', 'contender', 'req/s', 'p99 ms', 'errors', 'CPU us/req', 'proxy cpu%', 'load cpu%', 'other %', 'rounds'];
if (has('origin')) headers.push('/origin');
if (has('nginx')) headers.push('/nginx');
if (has('node-http-proxy')) headers.push('/node-http-proxy');

const body = [];
for (const w of workloads) {
  let first = true;
  for (const c of contenders) {
    const s = get(c, w);
    if (!s) continue;
    const row = [
      first ? WORKLOADS[w] ?? w : '',
      NAMES[c] ?? c,
      fmtInt(s.rps),
      fmtMs(s.p99),
      s.errors,
      c === 'origin' ? '-' : fmtCpu(s.cpu),
      c === 'origin' || !Number.isFinite(s.core) ? '-' : Math.round(s.core),
      Number.isFinite(s.load) ? Math.round(s.load) : '-',
      Number.isFinite(s.other) ? Math.round(s.other) : '-',
      `${s.ok}/${s.n}`,
    ];
    if (has('origin')) row.push(ratio(s.rps, get('origin', w)?.rps));
    if (has('nginx')) row.push(ratio(s.rps, get('nginx', w)?.rps));
    if (has('node-http-proxy')) row.push(ratio(s.rps, get('node-http-proxy', w)?.rps));
    body.push(row);
    first = false;
  }
}
console.log('Medians over rounds. /X columns = req/s ratio to contender X (higher is better).');
console.log('CPU us/req = CPU time of the proxy process(es) / requests served. proxy cpu% / load cpu% =');
console.log('how busy the proxy core / the wrk+origin core was: the one near 100 is the bottleneck.');
console.log('other % = CPU (in % of one core) taken meanwhile by processes outside the benchmark: noise.');
console.log('');
console.log(table(headers, body));

if (has('barbican') && ['nginx', 'node-http-proxy', 'origin'].some(has)) {
  console.log('');
  const bodyB = [];
  for (const w of workloads) {
    const b = get('barbican', w);
    if (!b) continue;
    const row = [WORKLOADS[w] ?? w];
    for (const ref of ['nginx', 'node-http-proxy', 'origin']) {
      if (!has(ref)) continue;
      const r = get(ref, w);
      row.push(ratio(b.rps, r?.rps), ratio(b.p99, r?.p99));
    }
    bodyB.push(row);
  }
  const hB = ['workload'];
  for (const ref of ['nginx', 'node-http-proxy', 'origin']) {
    if (!has(ref)) continue;
    const n = NAMES[ref];
    hB.push(`req/s vs ${n}`, `p99 vs ${n}`);
  }
  if (bodyB.every((r) => r.slice(1).every((v) => v === '-'))) {
    console.log('Barbican: no successful measurement (skipped or failed).');
  } else {
    console.log('Barbican ratios (req/s: higher is better; p99: lower is better):');
    console.log(table(hB, bodyB, 1));
  }
}

const limit = Number(process.env.NOISE_LIMIT ?? 10);
const noisy = [...stats.entries()].filter(([, s]) => s.otherMax > limit);
if (noisy.length) {
  console.log('');
  console.log(`WARNING: other processes used more than ${limit}% of a core during some runs (max shown);`);
  console.log('those numbers are low and noisy. Re-run on a quiet machine or with more ROUNDS:');
  for (const [k, s] of noisy) {
    const [c, w] = k.split('\t');
    console.log(`  ${NAMES[c] ?? c} ${WORKLOADS[w] ?? w}: ${Math.round(s.otherMax)}%`);
  }
}

const errs = [...stats.entries()].filter(([, s]) => s.errors > 0);
if (errs.length) {
  console.log('');
  console.log('WARNING: some runs had socket errors or non-2xx/3xx responses; their req/s is not comparable:');
  for (const [k, s] of errs) {
    const [c, w] = k.split('\t');
    console.log(`  ${NAMES[c] ?? c} ${WORKLOADS[w] ?? w}: ${s.errors} errors over ${s.n} round(s)`);
  }
}

if (has('barbican') && has('barbican-redis')) {
  console.log('');
  console.log('Cost of shared state (barbican-redis: rate limits and the second cache tier in Redis, against local memory):');
  const rows = workloads
    .filter((w) => get('barbican', w) && get('barbican-redis', w))
    .map((w) => [WORKLOADS[w] ?? w, ratio(get('barbican-redis', w).rps, get('barbican', w).rps), ratio(get('barbican-redis', w).p99, get('barbican', w).p99)]);
  console.log(table(['workload', 'req/s redis / local', 'p99 redis / local'], rows, 1));
}

if (has('barbican') && has('barbican-lb')) {
  console.log('');
  console.log('Cost of balancing (barbican-lb: three targets, round robin, health checks every second):');
  const rows = workloads
    .filter((w) => get('barbican', w) && get('barbican-lb', w))
    .map((w) => [WORKLOADS[w] ?? w, ratio(get('barbican-lb', w).rps, get('barbican', w).rps), ratio(get('barbican-lb', w).p99, get('barbican', w).p99)]);
  console.log(table(['workload', 'req/s lb / single', 'p99 lb / single'], rows, 1));
}

if (has('barbican') && has('barbican-log')) {
  console.log('');
  console.log('Cost of observability (barbican-log: JSON access log to a file, metrics on, admin listener):');
  const rows = workloads
    .filter((w) => get('barbican', w) && get('barbican-log', w))
    .map((w) => [WORKLOADS[w] ?? w, ratio(get('barbican-log', w).rps, get('barbican', w).rps), fmtCpu(get('barbican-log', w).cpu - get('barbican', w).cpu)]);
  console.log(table(['workload', 'req/s log / off', 'extra CPU us/req'], rows, 1));
}

if (has('nginx-2w') && has('barbican-auto')) {
  console.log('');
  console.log('One worker per core (unpinned, sharing both cores with wrk and the origin):');
  const rows = workloads
    .filter((w) => get('nginx-2w', w) && get('barbican-auto', w))
    .map((w) => [WORKLOADS[w] ?? w, ratio(get('barbican-auto', w).rps, get('nginx-2w', w).rps), ratio(get('barbican-auto', w).p99, get('nginx-2w', w).p99)]);
  console.log(table(['workload', 'req/s auto / nginx-2w', 'p99 auto / nginx-2w'], rows, 1));
}
