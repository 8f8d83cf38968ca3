// Finds a Chromium for the dashboard browser tests. Order: $CHROMIUM_PATH, then `chromium` /
// `chromium-browser` on PATH; if none and we are root, `apt-get install -y chromium` (with one
// `apt-get update` if the first install fails). Otherwise returns { skip: '<why>' } so the
// tests are skipped with a clear message instead of failing on a machine without a browser.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function onPath(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

function find() {
  const env = process.env.CHROMIUM_PATH;
  if (env && existsSync(env)) return env;
  return onPath('chromium') ?? onPath('chromium-browser');
}

function aptInstall() {
  const opts = { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 };
  if (spawnSync('apt-get', ['install', '-y', 'chromium'], opts).status === 0) return true;
  spawnSync('apt-get', ['update'], opts);
  return spawnSync('apt-get', ['install', '-y', 'chromium'], opts).status === 0;
}

/** { executablePath } of a Chromium, or { skip } saying why there is none. */
export function findChromium() {
  let path = find();
  if (path) return { executablePath: path };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { skip: 'no chromium on PATH (install the Debian package `chromium`, or set CHROMIUM_PATH); not root, so not installing it' };
  }
  if (!aptInstall()) return { skip: 'no chromium on PATH and `apt-get install -y chromium` failed' };
  path = find();
  return path ? { executablePath: path } : { skip: 'chromium was installed but is not on PATH' };
}
