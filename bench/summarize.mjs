// Summarise bench/run.sh results: medians per contender and workload, plus ratios.
//
//   node bench/summarize.mjs RESULTS.tsv
//   node bench/summarize.mjs --paired [--baseline "C..."] RESULTS.tsv    # a PAIRED=1 batch
//
// --paired: the TSV comes from PAIRED=1 (each round ran the contenders back to back per
// workload). Ratios are then taken per round (contender / baseline of the same round and
// workload) and summarised by their median and min-max, instead of dividing medians of runs
// taken minutes apart. --baseline: the contender(s) to divide by, one table each (default nginx
// if present, else the first contender in the file).
//
// RESULTS.tsv columns (tab-separated, header line first):
//   round contender workload rps p99_ms requests errors cpu_us_per_req proxy_cpu_pct load_cpu_pct
//   other_cpu_pct
// A value of NA means the measurement failed (contender down, wrk failed).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const usage = 'usage: node bench/summarize.mjs [--paired [--baseline "CONTENDER..."]] RESULTS.tsv';
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { paired: { type: 'boolean', default: false }, baseline: { type: 'string', multiple: true } },
  });
} catch (e) {
  console.error(`${e.message}\n${usage}`);
  process.exit(2);
}
const file = args.positionals[0];
if (!file || args.positionals.length > 1) {
  console.error(usage);
  process.exit(2);
}
const paired = args.values.paired;

const NAMES = {
  origin: 'origin-direct',
  nginx: 'nginx-proxy',
  haproxy: 'haproxy',
  'node-http-proxy': 'node-http-proxy',
  barbican: 'barbican',
  'barbican-lb': 'barbican (3 targets + health checks)',
  'barbican-redis': 'barbican + state.redis',
  'barbican-log': 'barbican (JSON access log + metrics)',
  'barbican-bare': 'barbican (no access log, no metrics)',
  'nginx-2w': 'nginx-proxy, 2 workers',
  'barbican-auto': 'barbican, workers: auto',
  'barbican-auto-bare': 'barbican, workers: auto (no access log, no metrics)',
  'barbican-auto-log': 'barbican, workers: auto (JSON access log + metrics)',
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
// In a paired batch the ratio columns come from the per-round pairs (below), not from medians.
const ratioRefs = paired ? [] : ['origin', 'nginx', 'node-http-proxy'].filter(has);
const headers = ['workload', 'contender', 'req/s', 'p99 ms', 'errors', 'CPU us/req', 'proxy cpu%', 'load cpu%', 'other %', 'rounds'];
for (const ref of ratioRefs) headers.push(`/${ref}`);

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
    for (const ref of ratioRefs) row.push(ratio(s.rps, get(ref, w)?.rps));
    body.push(row);
    first = false;
  }
}
console.log(
  paired
    ? 'Medians over rounds (the ratios to quote are the paired ones, after this table).'
    : 'Medians over rounds. /X columns = req/s ratio to contender X (higher is better).',
);
console.log('CPU us/req = CPU time of the proxy process(es) / requests served. proxy cpu% / load cpu% =');
console.log('how busy the proxy core / the wrk+origin core was: the one near 100 is the bottleneck.');
console.log('other % = CPU (in % of one core) taken meanwhile by processes outside the benchmark: noise.');
console.log('');
console.log(table(headers, body));

// ---------------------------------------------------------------- paired ratios
// One value per round in which both contenders have a measurement of workload w: the ratio
// (or difference) of field f between c and ref in that round. Runs of one round and workload
// were taken seconds apart, so the machine's drift over minutes cancels out of each value.
const byRound = new Map(); // `${c}\t${w}\t${round}` -> row
for (const r of rows) byRound.set(`${r.contender}\t${r.workload}\t${r.round}`, r);
const rounds = [...new Set(rows.map((r) => r.round))];
function perRound(c, ref, w, f, op = (a, b) => (b > 0 ? a / b : NaN)) {
  const out = [];
  for (const round of rounds) {
    const a = num(byRound.get(`${c}\t${w}\t${round}`)?.[f]);
    const b = num(byRound.get(`${ref}\t${w}\t${round}`)?.[f]);
    if (Number.isFinite(a) && Number.isFinite(b)) out.push(op(a, b));
  }
  return out.filter(Number.isFinite);
}
// "median (min–max)" of per-round values, fixed decimals; '-' when there is none.
function spread(values, digits = 2) {
  if (values.length === 0) return '-';
  const m = median(values).toFixed(digits);
  if (values.length === 1) return m;
  return `${m} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}
const pairedRatio = (c, ref, w, f) => spread(perRound(c, ref, w, f));

// --baseline may be repeated or hold several names ("nginx node-http-proxy"): one table each.
let baselines = (args.values.baseline ?? []).flatMap((b) => b.split(/[\s,]+/)).filter(Boolean);
if (baselines.length === 0) baselines = [has('nginx') ? 'nginx' : contenders[0]];
let explained = false;
for (const base of paired ? baselines : []) {
  console.log('');
  if (!has(base)) {
    console.log(`Paired ratios: the baseline '${base}' has no rows in ${file}.`);
  } else {
    const bn = NAMES[base] ?? base;
    const others = contenders.filter((c) => c !== base);
    const bodyP = [];
    for (const w of workloads) {
      const baseRps = rows.filter((r) => r.contender === base && r.workload === w).map((r) => num(r.rps)).filter(Number.isFinite);
      const drift = baseRps.length ? `${fmtInt(Math.min(...baseRps))}–${fmtInt(Math.max(...baseRps))}` : 'n/a';
      let first = true;
      for (const c of others) {
        if (!get(c, w)) continue;
        const n = perRound(c, base, w, 'rps').length;
        bodyP.push([
          first ? WORKLOADS[w] ?? w : '',
          NAMES[c] ?? c,
          pairedRatio(c, base, w, 'rps'),
          pairedRatio(c, base, w, 'p99_ms'),
          c === 'origin' || base === 'origin' ? '-' : pairedRatio(c, base, w, 'cpu_us_per_req'),
          `${n}/${rounds.length}`,
          first ? drift : '',
        ]);
        first = false;
      }
    }
    if (!explained) {
      explained = true;
      console.log('Paired ratios: in every round each workload ran on all contenders back to back, and each run');
      console.log("is divided by the baseline's run of the same workload in the same round. Median of those per-round");
      console.log('ratios, (min–max) over the rounds. req/s: higher is better; p99 and CPU us/req: lower is better.');
      console.log("The last column is the baseline's own req/s over the rounds: the machine's drift, which the");
      console.log('pairing takes out. These medians are the ratios to quote.');
      console.log('');
    }
    console.log(`Paired ratios to ${bn}:`);
    console.log(
      table(
        ['workload', 'contender', `req/s / ${base}`, `p99 / ${base}`, `CPU us/req / ${base}`, 'pairs', `${base} req/s min–max`],
        bodyP,
      ),
    );
  }
}

if (!paired && has('barbican') && ['nginx', 'node-http-proxy', 'origin'].some(has)) {
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

// Prints the header lines, then one line per contender and workload whose stats pass `test`.
function listRuns(test, header, detail) {
  const hits = [...stats.entries()].filter(([, s]) => test(s));
  if (!hits.length) return;
  console.log('');
  for (const line of header) console.log(line);
  for (const [k, s] of hits) {
    const [c, w] = k.split('\t');
    console.log(`  ${NAMES[c] ?? c} ${WORKLOADS[w] ?? w}: ${detail(s)}`);
  }
}

const limit = Number(process.env.NOISE_LIMIT ?? 10);
listRuns(
  (s) => s.otherMax > limit,
  [
    `WARNING: other processes used more than ${limit}% of a core during some runs (max shown);`,
    'those numbers are low and noisy. Re-run on a quiet machine or with more ROUNDS:',
  ],
  (s) => `${Math.round(s.otherMax)}%`,
);

// With wrk and the origin sharing one core, a fast enough proxy is held back by that core, not
// by its own: its req/s is then a floor of what it could do, and no contender can go above it.
// A ratio to a slower contender (say 4× node-http-proxy) is capped there too.
const LOAD_BOUND = 95;
const PROXY_IDLE = 90;
listRuns(
  (s) => s.load >= LOAD_BOUND && s.core < PROXY_IDLE,
  [
    `NOTE: in these runs the load core (wrk + origin) was the bottleneck (median load cpu ≥ ${LOAD_BOUND}%,`,
    `proxy cpu < ${PROXY_IDLE}%): their req/s is what the load side could drive, not the proxy's limit:`,
  ],
  (s) => `proxy cpu ${Math.round(s.core)}%, load cpu ${Math.round(s.load)}%`,
);

listRuns(
  (s) => s.errors > 0,
  ['WARNING: some runs had socket errors or non-2xx/3xx responses; their req/s is not comparable:'],
  (s) => `${s.errors} errors over ${s.n} round(s)`,
);

// The cost tables below: req/s and p99 of c over ref. Ratios of the medians; in a paired batch,
// medians (min–max) of the per-round ratios instead.
const pairCols = (c, ref, w) =>
  paired
    ? [pairedRatio(c, ref, w, 'rps'), pairedRatio(c, ref, w, 'p99_ms')]
    : [ratio(get(c, w).rps, get(ref, w).rps), ratio(get(c, w).p99, get(ref, w).p99)];
const costPairs = [['barbican', 'barbican-redis'], ['barbican', 'barbican-lb'], ['barbican', 'barbican-log'], ['barbican-bare', 'barbican-log'], ['nginx-2w', 'barbican-auto'], ['barbican-auto-bare', 'barbican-auto-log']];
if (paired && costPairs.some((p) => p.every(has))) {
  console.log('');
  console.log('Paired batch: the cost tables below are medians (min–max) of per-round ratios.');
}

if (has('barbican') && has('barbican-redis')) {
  console.log('');
  console.log('Cost of shared state (barbican-redis: rate limits and the second cache tier in Redis, against local memory):');
  const rows = workloads
    .filter((w) => get('barbican', w) && get('barbican-redis', w))
    .map((w) => [WORKLOADS[w] ?? w, ...pairCols('barbican-redis', 'barbican', w)]);
  console.log(table(['workload', 'req/s redis / local', 'p99 redis / local'], rows, 1));
}

if (has('barbican') && has('barbican-lb')) {
  console.log('');
  console.log('Cost of balancing (barbican-lb: three targets, round robin, health checks every second):');
  const rows = workloads
    .filter((w) => get('barbican', w) && get('barbican-lb', w))
    .map((w) => [WORKLOADS[w] ?? w, ...pairCols('barbican-lb', 'barbican', w)]);
  console.log(table(['workload', 'req/s lb / single', 'p99 lb / single'], rows, 1));
}

/** The table of what the access log and metrics (`logged`) cost against `quiet` without them. */
function observabilityCost(logged, quiet, title) {
  console.log('');
  console.log(title);
  const rows = workloads
    .filter((w) => get(quiet, w) && get(logged, w))
    .map((w) => [
      WORKLOADS[w] ?? w,
      paired ? pairedRatio(logged, quiet, w, 'rps') : ratio(get(logged, w).rps, get(quiet, w).rps),
      paired
        ? spread(perRound(logged, quiet, w, 'cpu_us_per_req', (a, b) => a - b), 1)
        : fmtCpu(get(logged, w).cpu - get(quiet, w).cpu),
    ]);
  console.log(table(['workload', 'req/s log / off', 'extra CPU us/req'], rows, 1));
}

// Against barbican-bare (no access log, no metrics) when it ran, else against barbican (metrics on by default).
const quiet = has('barbican-bare') ? 'barbican-bare' : 'barbican';
if (has(quiet) && has('barbican-log')) {
  observabilityCost('barbican-log', quiet, `Cost of observability (barbican-log: JSON access log to a file, metrics on, admin listener; against ${quiet}${quiet === 'barbican' ? ': metrics on, no access log' : ': neither'}):`);
}
if (has('barbican-auto-bare') && has('barbican-auto-log')) {
  observabilityCost('barbican-auto-log', 'barbican-auto-bare', 'Cost of observability with workers: auto (barbican-auto-log against barbican-auto-bare; unpinned, sharing both cores with wrk and the origin):');
}

if (has('nginx-2w') && has('barbican-auto')) {
  console.log('');
  console.log('One worker per core (unpinned, sharing both cores with wrk and the origin):');
  const rows = workloads
    .filter((w) => get('nginx-2w', w) && get('barbican-auto', w))
    .map((w) => [WORKLOADS[w] ?? w, ...pairCols('barbican-auto', 'nginx-2w', w)]);
  console.log(table(['workload', 'req/s auto / nginx-2w', 'p99 auto / nginx-2w'], rows, 1));
}
