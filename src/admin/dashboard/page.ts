/**
 * The dashboard's page, stylesheet and script as string constants: `tsc` ships them in dist/
 * with no copy step, and no asset ever comes from another host (the CSP in handler.ts forbids
 * it). The script is plain ES2020 with no dependencies; it only renders the snapshots of
 * GET /api/events (shape: snapshot.ts), building DOM nodes with textContent, never HTML strings.
 */
export { DASHBOARD_CSS } from './style.js';
export { DASHBOARD_JS } from './script.js';

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Barbican dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
<script src="/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>Barbican</h1>
  <p class="meta"><span id="conn" role="status">connecting…</span> · up <span id="uptime">–</span></p>
</header>
<main>
  <section class="wide" aria-labelledby="h-traffic">
    <h2 id="h-traffic">Traffic</h2>
    <dl class="cards" aria-live="polite">
      <div><dt>Requests / s</dt><dd id="rate">–</dd></div>
      <div><dt>Total requests</dt><dd id="total">–</dd></div>
      <div><dt>In flight</dt><dd id="inflight">–</dd></div>
      <div><dt>Connections</dt><dd id="connections">–</dd></div>
      <div><dt>Latency p50</dt><dd id="p50">–</dd></div>
      <div><dt>Latency p95</dt><dd id="p95">–</dd></div>
      <div><dt>Latency p99</dt><dd id="p99">–</dd></div>
      <div><dt>Cache hit ratio</dt><dd id="cache">–</dd></div>
    </dl>
    <figure>
      <svg id="spark" viewBox="0 0 59 20" preserveAspectRatio="none" role="img" aria-labelledby="spark-caption"><polyline points=""></polyline></svg>
      <figcaption id="spark-caption">Requests per second over the last minute (peak <span id="peak">0</span>/s); latency percentiles over the last <span id="window">0</span> s.</figcaption>
    </figure>
  </section>
  <section aria-labelledby="h-upstreams" class="wide">
    <h2 id="h-upstreams">Upstreams and targets</h2>
    <div id="upstreams"><p class="empty">No upstreams.</p></div>
  </section>
  <section aria-labelledby="h-classes">
    <h2 id="h-classes">Status codes</h2>
    <div class="scroll"><table>
      <thead><tr><th scope="col">Class</th><th scope="col" class="num">Responses</th><th scope="col" class="num">Share</th></tr></thead>
      <tbody id="classes"></tbody>
    </table></div>
  </section>
  <section aria-labelledby="h-routes">
    <h2 id="h-routes">Top routes</h2>
    <div class="scroll"><table>
      <thead><tr><th scope="col">Route</th><th scope="col" class="num">Req/s</th><th scope="col" class="num">Total</th><th scope="col" class="num">5xx</th></tr></thead>
      <tbody id="routes"></tbody>
    </table></div>
  </section>
  <section aria-labelledby="h-errors">
    <h2 id="h-errors">Recent errors</h2>
    <ol id="errors" class="log" aria-live="polite"></ol>
  </section>
  <section aria-labelledby="h-reload">
    <h2 id="h-reload">Last reload</h2>
    <div id="reload"><p class="empty">No reload since start.</p></div>
  </section>
  <section aria-labelledby="h-workers" id="workers-section" class="wide" hidden>
    <h2 id="h-workers">Workers</h2>
    <div class="scroll"><table>
      <thead><tr><th scope="col">Worker</th><th scope="col">PID</th><th scope="col" class="num">Up</th><th scope="col" class="num">Requests</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Restarts</th></tr></thead>
      <tbody id="workers"></tbody>
    </table></div>
  </section>
</main>
</body>
</html>
`;

/** Shown (401) when the page is opened without a valid token or session cookie. */
export const UNAUTHORIZED_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Barbican dashboard: token required</title><link rel="icon" href="data:,"></head>
<body>
<h1>Token required</h1>
<p>This admin listener has a token. Open the dashboard once as <code>/?token=&lt;admin.token&gt;</code>:
Barbican checks it, sets a session cookie (HttpOnly, SameSite=Strict) and sends you back to <code>/</code>.</p>
</body>
</html>
`;
