/**
 * The dashboard's stylesheet (served as /dashboard.css). One column on a phone, a grid of
 * sections on a laptop; wide tables scroll inside their own box so the page never scrolls
 * sideways. Light and dark follow the system setting.
 */
export const DASHBOARD_CSS = `
:root {
  --bg: #f6f7f9; --fg: #17202a; --muted: #5d6b79; --card: #fff; --line: #d9dee4;
  --up: #1f8a4c; --down: #c62828; --eject: #d97706; --drain: #6b7280; --accent: #2563eb;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --fg: #e6e9ed; --muted: #9aa5b1; --card: #1b2027; --line: #2c333c; --up: #34c16f; --down: #ef5350; --eject: #f59e0b; --drain: #9ca3af; --accent: #60a5fa; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); overflow-wrap: anywhere; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .6rem; }
h3 { font-size: .95rem; margin: .8rem 0 .4rem; }
.meta { margin: 0; color: var(--muted); }
#conn.live { color: var(--up); }
#conn.lost { color: var(--down); }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); gap: 1rem; padding: 1rem; max-width: 90rem; margin: 0 auto; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .9rem; min-width: 0; }
section.wide { grid-column: 1 / -1; }
[hidden] { display: none !important; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .5rem; margin: 0; }
.cards div { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .6rem; }
.cards dt { color: var(--muted); font-size: .8rem; }
.cards dd { margin: 0; font-size: 1.35rem; font-variant-numeric: tabular-nums; font-weight: 600; }
figure { margin: .8rem 0 0; }
#spark { display: block; width: 100%; height: 4rem; border-bottom: 1px solid var(--line); }
#spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
figcaption { color: var(--muted); font-size: .8rem; margin-top: .3rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; }
.num { text-align: right; }
thead th { white-space: nowrap; overflow-wrap: normal; }
.url { word-break: break-all; min-width: 8rem; }
.state { font-weight: 600; white-space: nowrap; }
.state-healthy { color: var(--up); }
.state-unhealthy { color: var(--down); }
.state-ejected { color: var(--eject); }
.state-draining { color: var(--drain); }
.hist { display: flex; gap: 1px; height: 1.1rem; min-width: 6rem; width: 100%; }
.hist i { flex: 1 1 0; min-width: 1px; background: var(--up); }
.hist i.m-d { background: var(--down); }
.hist i.m-e { background: var(--eject); }
.hist i.m-r { background: var(--drain); }
.hist i.m-n { background: var(--line); }
tbody th { color: var(--fg); font-weight: 500; font-size: inherit; }
.log { list-style: none; margin: 0; padding: 0; max-height: 18rem; overflow-y: auto; }
.log li { padding: .3rem 0; border-bottom: 1px solid var(--line); font-size: .9rem; }
.log time { color: var(--muted); margin-right: .4rem; font-variant-numeric: tabular-nums; }
.kind { display: inline-block; min-width: 3.2rem; font-weight: 600; }
.kind-5xx, .kind-health, .kind-reload { color: var(--down); }
.kind-4xx { color: var(--eject); }
.ok { color: var(--up); font-weight: 600; }
.failed { color: var(--down); font-weight: 600; }
.empty { color: var(--muted); margin: 0; }
pre { white-space: pre-wrap; font-size: .85rem; margin: .4rem 0 0; }
@media (max-width: 40rem) {
  main { padding: .5rem; gap: .5rem; }
  section { padding: .7rem; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .cards dd { font-size: 1.15rem; }
  th, td { padding: .25rem .3rem; }
  /* In flight and latency give way to the state and its history on a phone. */
  .opt { display: none; }
}
`;
