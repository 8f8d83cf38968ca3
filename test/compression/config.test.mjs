// routes[].compression in the configuration file: defaults, and refusals with file:line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../dist/config/load.js';
import { ZSTD_AVAILABLE } from '../../dist/compression/index.js';

const file = (compression) => `listeners: [{ name: web, address: "127.0.0.1:0" }]
upstreams: { app: { targets: [{ url: "http://127.0.0.1:1" }] } }
routes:
  - upstream: app
    compression:
${compression}
`;

describe('routes[].compression', () => {
  it('defaults: br then gzip, 1 KiB, fast levels', () => {
    const r = loadConfigText(file('      enabled: true'), 'x.yaml', {});
    assert.ok(r.ok, JSON.stringify(r.problems));
    const c = r.config.routes[0].compression;
    assert.deepEqual(c.algorithms, ['br', 'gzip']);
    assert.equal(c.minBytes, 1024);
    assert.deepEqual(c.level, { br: 4, gzip: 5, zstd: 3 });
    assert.ok(c.types.includes('text/html'));
    assert.ok(!c.types.includes('text/event-stream'));
  });

  it('sizes and levels as written', () => {
    const r = loadConfigText(file('      minBytes: 2KiB\n      algorithms: [gzip]\n      level: { gzip: 9 }'), 'x.yaml', {});
    assert.ok(r.ok);
    assert.equal(r.config.routes[0].compression.minBytes, 2048);
    assert.equal(r.config.routes[0].compression.level.gzip, 9);
  });

  it('refuses already-compressed types, naming the key and line', () => {
    const r = loadConfigText(file('      types: [text/html, image/png, video/*]'), 'x.yaml', {});
    assert.equal(r.ok, false);
    const paths = r.problems.map((p) => `${p.path} @${p.line}: ${p.message}`);
    assert.ok(paths.some((p) => p.startsWith('routes[0].compression.types[1] @6') && /already compressed/.test(p)), paths.join('\n'));
    assert.ok(paths.some((p) => p.startsWith('routes[0].compression.types[2] @6')), paths.join('\n'));
  });

  it('refuses unknown algorithms, repeated ones and unknown keys', () => {
    for (const text of ['      algorithms: [deflate]', '      algorithms: [gzip, gzip]', '      level: { gzip: 10 }', '      minbytes: 10']) {
      const r = loadConfigText(file(text), 'x.yaml', {});
      assert.equal(r.ok, false, text);
      assert.ok(r.problems.some((p) => p.path.startsWith('routes[0].compression')), JSON.stringify(r.problems));
    }
  });

  it(`zstd: ${ZSTD_AVAILABLE ? 'accepted on this Node' : 'refused on this Node (no zlib.createZstdCompress), with key and line'}`, () => {
    const r = loadConfigText(file('      algorithms:\n        - br\n        - zstd'), 'x.yaml', {});
    if (ZSTD_AVAILABLE) return assert.ok(r.ok);
    assert.equal(r.ok, false);
    const p = r.problems.find((x) => x.path === 'routes[0].compression.algorithms[1]');
    assert.ok(p, JSON.stringify(r.problems));
    assert.equal(p.line, 8);
    assert.match(p.message, /zstd needs a Node\.js whose zlib has createZstdCompress/);
  });
});
