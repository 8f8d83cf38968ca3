#!/usr/bin/env node
// The whole test suite: build, then every test file under test/ with node's test runner.
// (Listing the files here keeps the command the same on every Node version ≥ 20.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.mjs')) out.push(relative(root, path));
  }
  return out.sort();
}

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (run(process.execPath, [tsc, '-p', 'tsconfig.json']) !== 0) process.exit(1);

const filter = process.argv.slice(2);
const files = testFiles(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
process.exit(run(process.execPath, ['--test', '--test-concurrency=2', ...files]));
