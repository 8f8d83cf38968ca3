// The configuration reference is generated from the schema and must be kept up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_CONFIG, formatDuration, formatSize, generateConfigDocs, typeName } from '../../dist/config/docs.js';
import { configSchema, formatProblems, loadConfigText } from '../../dist/config/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/gen-config-docs.mjs');
const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: root });

test('docs/configuration.md is up to date with the schema (else: node scripts/gen-config-docs.mjs)', () => {
  const result = run('--check');
  assert.equal(result.status, 0, result.stderr);
});

test('--check fails on a stale or missing file, and writing fixes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'barbican-docs-'));
  try {
    const out = join(dir, 'configuration.md');
    assert.equal(run('--check', '--out', out).status, 1, 'missing file');
    await writeFile(out, `${generateConfigDocs().markdown}\nedited by hand\n`);
    const stale = run('--check', '--out', out);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /out of date/);
    assert.equal(run('--out', out).status, 0);
    assert.equal(run('--check', '--out', out).status, 0);
    assert.equal(await readFile(out, 'utf8'), generateConfigDocs().markdown);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the generator is deterministic', () => {
  assert.equal(generateConfigDocs().markdown, generateConfigDocs().markdown);
});

test('the example in the reference is a valid configuration', () => {
  const result = loadConfigText(EXAMPLE_CONFIG, 'example.yaml', {});
  assert.ok(result.ok, result.ok ? '' : formatProblems(result.problems));
});

/** Every key path of the schema, as the reference shows it (`routes[].match.hosts`). */
function schemaKeys(schema, path, out) {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else break;
  }
  const def = s._zod.def;
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      out.push(childPath);
      schemaKeys(child, childPath, out);
    }
  } else if (def.type === 'array') schemaKeys(def.element, `${path}[]`, out);
  else if (def.type === 'record') schemaKeys(def.valueType, `${path}.<name>`, out);
  return out;
}

test('the reference documents every key of the schema, and no other', () => {
  const { markdown } = generateConfigDocs();
  const documented = [...markdown.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  const sections = [...markdown.matchAll(/^## (\S+)$/gm)].map((m) => m[1]).filter((s) => !['How', 'Sections', 'Example'].includes(s));
  const expected = schemaKeys(configSchema, '', []);
  assert.deepEqual([...sections, ...documented].sort(), [...expected].sort());
});

test('durations and sizes are shown as such, with readable defaults', () => {
  const { markdown } = generateConfigDocs();
  assert.match(markdown, /^\| `server\.limits\.maxHeaderBytes` \| size \| `16KiB` \|/m);
  assert.match(markdown, /^\| `server\.shutdownTimeout` \| duration \| `30s` \|/m);
  assert.match(markdown, /^\| `listeners\[\]\.name` \| string \| \*\*required\*\* \|/m);
});

test('formatDuration and formatSize', () => {
  assert.deepEqual([0, 250, 1000, 1500, 60_000, 90_000, 3_600_000].map(formatDuration), ['0s', '250ms', '1s', '1500ms', '1m', '90s', '1h']);
  assert.deepEqual([0, 100, 1024, 1536, 16 * 1024, 10 * 1024 ** 2, 1024 ** 3].map(formatSize), ['0', '100', '1KiB', '1536', '16KiB', '10MiB', '1GiB']);
});

test('typeName', () => {
  const upstream = configSchema.shape.upstreams.unwrap().valueType;
  assert.equal(typeName(upstream.shape.targets), 'list of object (at least 1)');
  assert.equal(typeName(configSchema.shape.logging.unwrap().shape.level), 'one of `error`, `warn`, `info`, `debug`');
});
