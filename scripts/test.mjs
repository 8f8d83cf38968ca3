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

/**
 * System packages the tests use (README: the test command installs what is missing). Installed
 * here, one apt-get at a time, before any test runs: test files run two at a time and two
 * apt-gets at once would fight over the dpkg lock. Not root or no apt-get: the tests that need
 * them skip with the reason (test/tls/pebble.mjs, test/dashboard/chromium.mjs,
 * test/state/redis-helpers.mjs).
 */
const SYSTEM_PACKAGES = [
  { command: 'pebble', pkg: 'pebble' }, // ACME test server (test/tls/acme*.test.mjs)
  { command: 'chromium', pkg: 'chromium' }, // dashboard browser tests (test/dashboard/)
  { command: 'redis-server', pkg: 'redis-server' }, // shared state across instances (test/state/)
];
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = SYSTEM_PACKAGES.filter((p) => !has(p.command)).map((p) => p.pkg);
if (missing.length > 0 && process.getuid?.() === 0 && has('apt-get')) {
  console.log(`installing system packages for the tests: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', ...missing], { env, stdio: 'inherit', timeout: 600_000 }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { env, stdio: 'inherit', timeout: 300_000 });
    if (!install()) console.log('apt-get install failed: the tests that need these packages will skip');
  }
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (run(process.execPath, [tsc, '-p', 'tsconfig.json']) !== 0) process.exit(1);

const filter = process.argv.slice(2);
const files = testFiles(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((p) => f.includes(p)));
process.exit(run(process.execPath, ['--test', '--test-concurrency=2', ...files]));
