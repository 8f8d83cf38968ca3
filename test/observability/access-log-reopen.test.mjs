// SIGUSR1 reopens a file access log: after logrotate moves the file away, new lines go to a new file.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startOrigin, startProxy } from '../helpers.mjs';

const cleanup = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()();
});

async function waitFor(check, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

test('SIGUSR1 reopens the access log file', async () => {
  const origin = await startOrigin();
  cleanup.push(() => origin.close());
  const dir = mkdtempSync(join(tmpdir(), 'barbican-log-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'logs', 'access.log');
  const logged = await startProxy({
    upstreams: { app: { targets: [{ url: origin.url }] } },
    routes: [{ name: 'main', upstream: 'app' }],
    logging: { level: 'info', accessLog: { format: 'json', output: file } },
  });
  cleanup.push(() => logged.close());

  await request(`${logged.url}/before`);
  await waitFor(() => lines(file).some((r) => r.path === '/before'));
  renameSync(file, `${file}.1`);
  await request(`${logged.url}/moved`);
  logged.proc.kill('SIGUSR1');
  await waitFor(() => /access log files reopened/.test(logged.stderr()));
  await request(`${logged.url}/after`);
  await waitFor(() => lines(file).some((r) => r.path === '/after'));
  assert.deepEqual(
    lines(file).map((r) => r.path),
    ['/after'],
  );
  const rotated = lines(`${file}.1`).map((r) => r.path);
  assert.deepEqual(rotated, ['/before', '/moved'], 'lines before the signal stay in the rotated file');
  assert.match(logged.stderr(), /"files":1/);
});
