// The command line of the real binary: --version, --help, argument errors, `check`, a run with
// an invalid config, and the built-in demo started from an empty directory.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, freePort } from './helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

/** Runs the binary to completion: { code, signal, stdout, stderr }. Kills it after `timeoutMs`. */
function run(args, { cwd = ROOT, env = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`barbican ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const GOOD = `# a valid configuration
listeners:
  - name: web
    address: 127.0.0.1:0
upstreams:
  app:
    targets:
      - url: http://127.0.0.1:3001
routes:
  - name: ping
    match: { path: /ping }
    respond: { status: 200, body: "pong\\n" }
  - name: app
    upstream: app
`;

// Line numbers matter: the problems below are on lines 4, 8 and 11.
const BAD = `listeners:
  - name: web
    address: 127.0.0.1:0
    backlog: 511
upstreams:
  app:
    targets:
      - url: http://127.0.0.1:3001/path
routes:
  - name: app
    upstream: apps
`;

describe('barbican CLI', () => {
  let dir;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-cli-'));
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'bad.yaml'), BAD);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--version prints the package.json version and exits 0', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`(^|\\s)${VERSION.replace(/\./g, '\\.')}\\s*$`));
    assert.equal(r.stderr, '');
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage:/);
    assert.match(r.stdout, /--config FILE/);
    assert.match(r.stdout, /check --config FILE/);
    assert.match(r.stdout, /--version/);
  });

  it('an unknown flag exits 2 with the usage on stderr', async () => {
    const r = await run(['--no-such-flag']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--no-such-flag/);
    assert.match(r.stderr, /Usage:/);
    assert.equal(r.stdout, '');
  });

  it('--config without a file exits 2', async () => {
    const r = await run(['--config']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--config/);
  });

  it('check --config good.yaml exits 0', async () => {
    const file = join(dir, 'good.yaml');
    const r = await run(['check', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid/);
    assert.ok(r.stdout.includes(file), 'names the file');
  });

  it('check --config bad.yaml exits 2 and prints every problem as file:line:column', async () => {
    const file = join(dir, 'bad.yaml');
    const r = await run(['check', '--config', file]);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    const at = (line, key) => lines.find((l) => l.startsWith(`${file}:${line}:`) && l.includes(key));
    assert.ok(at(4, 'listeners[0].backlog'), `unknown key on line 4:\n${r.stderr}`);
    assert.ok(at(8, 'upstreams.app.targets[0].url'), `bad target URL on line 8:\n${r.stderr}`);
    assert.ok(at(11, 'routes[0].upstream'), `unknown upstream on line 11:\n${r.stderr}`);
    assert.match(at(11, 'routes[0].upstream'), /did you mean "app"/);
    for (const l of lines) assert.match(l, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `), `file:line:column form: ${l}`);
  });

  it('check with a missing file exits 2', async () => {
    const file = join(dir, 'does-not-exist.yaml');
    const r = await run(['check', '--config', file]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /not found/);
  });

  it('check without --config exits 2', async () => {
    const r = await run(['check']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--config/);
  });

  it('a run with an invalid config exits 2 without listening', async () => {
    const port = await freePort();
    const file = join(dir, 'bad-run.yaml');
    writeFileSync(file, BAD.replace('127.0.0.1:0', `127.0.0.1:${port}`));
    const r = await run(['--config', file], { timeoutMs: 5000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /routes\[0\]\.upstream/);
    assert.doesNotMatch(r.stderr + r.stdout, /listening/);
    assert.doesNotMatch(r.stdout, /demo/, 'did not fall back to the demo');
  });

  it('with no --config, ./barbican.yaml in the working directory is used (not the demo)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'barbican-cwd-'));
    writeFileSync(join(cwd, 'barbican.yaml'), GOOD.replace('body: "pong\\n"', 'body: "from cwd config\\n"'));
    const proc = spawn(process.execPath, [BIN], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    try {
      const deadline = Date.now() + 10_000;
      let port;
      while (port === undefined && proc.exitCode === null && Date.now() < deadline) {
        port = /"listener":"web","address":"[^"]*:(\d+)"/.exec(stderr)?.[1];
        await sleep(20);
      }
      assert.ok(port, `listening (stderr:\n${stderr})`);
      const r = await get(`http://127.0.0.1:${port}/ping`);
      assert.equal(r.body, 'from cwd config\n');
      assert.doesNotMatch(stdout, /demo/);
    } finally {
      let code = proc.exitCode;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = once(proc, 'exit');
        proc.kill('SIGTERM');
        [code] = await exited;
      }
      rmSync(cwd, { recursive: true, force: true });
      assert.equal(code, 0);
    }
  });

  it('a run with a missing config file exits 2', async () => {
    const r = await run(['--config', join(dir, 'missing.yaml')], { timeoutMs: 5000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not found/);
  });
});

describe('barbican with no config: the built-in demo', () => {
  let dir;
  let proc;
  let stdout = '';
  let stderr = '';
  let port;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'barbican-demo-'));
    port = await freePort();
    proc = spawn(process.execPath, [BIN], { cwd: dir, env: { ...process.env, BARBICAN_DEMO_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 10_000;
    while (!stdout.includes('/ping') && proc.exitCode === null && Date.now() < deadline) await sleep(20);
  });

  after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the demo URLs on the chosen port', () => {
    assert.equal(proc.exitCode, null, `the demo is running (stderr:\n${stderr})`);
    assert.match(stdout, /demo/);
    for (const path of ['/', '/app/hello', '/ping']) {
      assert.ok(stdout.includes(`http://127.0.0.1:${port}${path}`), `prints http://127.0.0.1:${port}${path}:\n${stdout}`);
    }
  });

  it('/ping answers pong', async () => {
    const r = await get(`http://127.0.0.1:${port}/ping`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'pong\n');
  });

  it('/app/hello is forwarded to a demo origin', async () => {
    const origins = new Set();
    for (let i = 0; i < 4; i++) {
      const r = await get(`http://127.0.0.1:${port}/app/hello`);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /application\/json/);
      const json = JSON.parse(r.body);
      assert.equal(typeof json.origin, 'string');
      assert.equal(json.url, '/hello', 'the /app prefix is stripped');
      assert.equal(r.headers.server, undefined, 'the origin Server header is hidden');
      origins.add(json.origin);
    }
    assert.equal(origins.size, 2, `round robin over both demo origins: ${[...origins]}`);
  });

  it('SIGTERM stops the demo with exit 0', async () => {
    assert.equal(proc.exitCode, null);
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const [code, signal] = await Promise.race([exited, sleep(5000).then(() => ['timeout', null])]);
    assert.equal(signal, null);
    assert.equal(code, 0, stderr);
  });
});
