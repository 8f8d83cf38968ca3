// Micro-benchmark (not a test): the cost of escaping a combined access-log line's fields
// (method, request path, Referer, User-Agent; the client address is an IP, checked before) as httpd does, per line, for
// clean fields (nearly every request) and for fields that need escaping.
// Run after a build: npx tsc -p tsconfig.json && node bench/combined-escape.mjs
import { jsonString } from '../dist/observability/json-text.js';
import { escapeLogItem } from '../dist/observability/log-item-escape.js';

const CLEAN = ['GET', '/api/v1/products/12345?page=2&sort=price', 'https://shop.example.com/cart', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'];
const HOSTILE = ['GET', '/x?q="a"\\b', 'https://r.example/"\xff', 'evil" 200 0 "\tcaf\xc3\xa9\\'];
const LINES = 2_000_000;

/** What the format did before escaping: JSON-quote Referer and User-Agent (the last two fields), nothing else. */
function before(fields) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) sink += jsonString(fields[2]).length + jsonString(fields[3]).length;
  const ns = Number(process.hrtime.bigint() - start) / LINES;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

function run(fields) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) for (let f = 0; f < fields.length; f++) sink += escapeLogItem(fields[f]).length;
  const ns = Number(process.hrtime.bigint() - start) / LINES;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

for (const [name, fields] of [['clean', CLEAN], ['hostile', HOSTILE]]) {
  for (const [what, fn] of [['before (2 fields JSON-quoted)', before], ['now (4 fields escaped)', run]]) {
    fn(fields); // warm-up
    const rounds = [fn(fields), fn(fields), fn(fields)].sort((a, b) => a - b);
    console.log(`${name.padEnd(8)} ${what.padEnd(30)} ${rounds[1].toFixed(0)} ns per line (median of 3 rounds of ${LINES} lines)`);
  }
}
