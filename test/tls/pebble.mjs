// Pebble, Let's Encrypt's ACME test server (Debian package `pebble`, which also ships
// pebble-challtestsrv), for the ACME end-to-end test. Everything runs on 127.0.0.1:
//
// - pebble-challtestsrv serves only its mock DNS: every name resolves to 127.0.0.1 (A records
//   only, so the validation never tries ::1), which lets the test use names like acme.test
//   offline;
// - pebble listens on random ports with the repository's test certificate for 127.0.0.1
//   (test/fixtures/tls/origin.pem, trusted through ca.pem), resolves names through that DNS,
//   and validates HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort` (the proxy's listeners).
//
// PEBBLE_VA_NOSLEEP=1 skips the random validation delay, PEBBLE_VA_ALWAYS_VALID=0 makes the
// validation real, PEBBLE_WFE_NONCEREJECT=0 stops the deliberate bad-nonce errors (acme-client
// retries them, but they only slow the test down).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORIGIN_CA, fixture, freePort } from './tls-helpers.mjs';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/**
 * Makes sure pebble and pebble-challtestsrv are on PATH, installing the Debian package when the
 * user is root. Returns { ok: true } or { ok: false, reason } (the caller skips with the reason).
 */
export function ensurePebble() {
  if (has('pebble') && has('pebble-challtestsrv')) return { ok: true };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, reason: 'pebble is not installed and only root may install it here (apt-get install pebble)' };
  }
  if (!has('apt-get')) return { ok: false, reason: 'pebble is not installed and apt-get is not available' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pebble'], { env, stdio: 'ignore', timeout: 300_000 }).status === 0;
  if (!install()) {
    // The package lists may be missing (fresh container): refresh them once.
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 });
    if (!install()) return { ok: false, reason: 'apt-get install pebble failed' };
  }
  return has('pebble') && has('pebble-challtestsrv') ? { ok: true } : { ok: false, reason: 'pebble installed but not on PATH' };
}

/** Starts a process and resolves once `ready` matches its output (rejects if it exits first). */
function startProcess(command, args, env, ready, timeoutMs = 15_000) {
  const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), timeoutMs);
    const onData = (d) => {
      output += d;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
  return { proc, started, output: () => output };
}

function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.kill('SIGTERM');
  });
}

/** GET over HTTPS trusting the fixtures CA (Pebble's listeners use origin.pem). */
/**
 * GET over TLS trusting the test CA. Pebble logs "Listening on" for its ACME server before its
 * management server is up, so a refused connection is tried again for a few seconds.
 */
async function get(url) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await getOnce(url);
    } catch (err) {
      if (err.code !== 'ECONNREFUSED' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function getOnce(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: ORIGIN_CA }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

/**
 * Starts challtestsrv (DNS) and pebble. Returns { directoryUrl, caFile, root(), intermediate(),
 * issuedCount(), output(), close() }.
 */
export async function startPebble({ httpPort, tlsPort }) {
  const dir = mkdtempSync(join(tmpdir(), 'barbican-pebble-'));
  const [dnsPort, dnsManagement, acmePort, managementPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const dns = startProcess(
    'pebble-challtestsrv',
    ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsManagement}`],
    {},
    /Starting management server/,
  );
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: fixture('origin.pem'),
        privateKey: fixture('origin.key'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  let pebble;
  try {
    await dns.started;
    pebble = startProcess('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', PEBBLE_VA_ALWAYS_VALID: '0', PEBBLE_WFE_NONCEREJECT: '0' }, /Listening on/);
    await pebble.started;
  } catch (err) {
    await stop(dns.proc);
    if (pebble) await stop(pebble.proc);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const management = `https://127.0.0.1:${managementPort}`;
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    caFile: fixture('ca.pem'),
    root: () => get(`${management}/roots/0`),
    intermediate: () => get(`${management}/intermediates/0`),
    /** Certificates issued so far (Pebble logs each). */
    issuedCount: () => (pebble.output().match(/Issued certificate serial/g) ?? []).length,
    output: () => pebble.output(),
    async close() {
      await Promise.all([stop(pebble.proc), stop(dns.proc)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
