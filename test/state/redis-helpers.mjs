// A real redis-server for the shared-state tests: started on a free loopback port, without
// persistence, killed by the test. The test command (scripts/test.mjs) installs redis-server
// when it is missing (root + apt); otherwise these tests skip, saying why.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminRequest, freePort } from '../helpers.mjs';

/** Why the Redis tests cannot run here, or undefined when redis-server is available. */
export function redisMissing() {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
  return found ? undefined : 'redis-server is not installed (the test command installs it as root with apt-get: apt-get install redis-server)';
}

/** Sends PING over a raw socket; resolves true on +PONG. */
function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      data += d;
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

/**
 * Spawns redis-server with `args` and waits until `port` answers PING. Returns
 * { port, proc, log(), stop() }: stop() kills it (SIGKILL: a crash, as the fault tests want)
 * and waits for the exit.
 */
async function spawnRedis(port, args, { cwd } = {}) {
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not start on ${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await once(proc, 'exit');
      }
    },
  };
}

const BASE_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];

/**
 * Starts redis-server on 127.0.0.1 (`port`, or a free one). Returns { port, url, proc, stop() }:
 * stop() kills it (SIGKILL: a crash, as the fault tests want) and waits for the exit.
 */
export async function startRedis({ port } = {}) {
  port ??= await freePort();
  const server = await spawnRedis(port, ['--port', String(port), ...BASE_ARGS]);
  return { ...server, url: `redis://127.0.0.1:${port}` };
}

/**
 * Starts a master (startRedis) and one Redis Sentinel on 127.0.0.1 watching it as `name`.
 * Returns { master, sentinel: 'host:port', stop() } (stop() kills both and removes the
 * sentinel's config file, which Sentinel must be able to rewrite).
 */
export async function startSentinel({ name = 'mymaster' } = {}) {
  const master = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'barbican-sentinel-'));
  let sentinel;
  try {
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [`port ${port}`, 'bind 127.0.0.1', 'protected-mode no', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${name} 5000`, ''].join('\n'),
    );
    sentinel = await spawnRedis(port, [conf, '--sentinel']);
    // The master is known from the config at once; wait until the sentinel names it.
    await waitRedisCli(port, ['SENTINEL', 'get-master-addr-by-name', name], (out) => out.includes(String(master.port)), 'the sentinel to name the master');
  } catch (err) {
    await sentinel?.stop();
    await master.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    master,
    sentinel: `127.0.0.1:${sentinel.port}`,
    async stop() {
      await sentinel.stop();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a Redis Cluster of `size` masters (no replicas) on 127.0.0.1, joined with
 * `redis-cli --cluster create`, and waits until every node reports cluster_state:ok.
 * Returns { nodes: ['host:port', …], ports, stop() }.
 */
export async function startCluster({ size = 3 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'barbican-cluster-'));
  const servers = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      // The bus port is chosen too: the default (port + 10000) may be taken or above 65535.
      const bus = await freePort();
      servers.push(await spawnRedis(port, ['--port', String(port), ...BASE_ARGS, '--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir], { cwd: dir }));
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 15_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    for (const s of servers) await waitRedisCli(s.port, ['CLUSTER', 'INFO'], (out) => out.includes('cluster_state:ok'), `cluster_state:ok on ${s.port}`);
    return { nodes, ports: servers.map((s) => s.port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `redis-cli -p port …args` until its output passes `check` (10 s at most). */
async function waitRedisCli(port, args, check, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 2_000 });
    if (r.status === 0 && check(r.stdout)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${r.stdout}${r.stderr}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * The value of metric `name` on a proxy's admin listener (the first series, or the one whose
 * labels are exactly `labels`, e.g. '{result="hit"}'), or undefined.
 */
export async function metric(proxy, name, { labels = '', token } = {}) {
  const text = (await adminRequest(proxy, '/metrics', { token })).body.toString();
  const esc = labels.replace(/[{}"]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${name}${labels === '' ? '(?:\\{[^}]*\\})?' : esc} (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Polls `check` (sync or async) every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
