// state.redis through Redis Sentinel and Redis Cluster, against real servers on loopback: for
// each, two real Barbican processes share a rate limit (the fleet admits about the limit, not
// twice it) and the second cache tier (a fill through one instance is a Redis hit on the
// other, the origin asked once). Cluster: the scripts' keys share a hash slot ({hash tags}),
// or Redis would refuse them with CROSSSLOT.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { adminRequest, request, startOrigin, startProxy } from '../helpers.mjs';
import { metric, redisMissing, startCluster, startSentinel, waitFor } from './redis-helpers.mjs';

const skip = redisMissing();
const HOST = 'shared.example';
const TOKEN = 'sentinel-cluster-token';
const LIMIT = 5;

/** Keys matching `pattern` stored on the Redis servers listening on `ports` (redis-cli --scan). */
function keysOn(ports, pattern) {
  return ports.flatMap((port) => {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--scan', '--pattern', pattern], { encoding: 'utf8', timeout: 5_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((k) => k !== '');
  });
}

/**
 * The tests of one deployment; `start` returns { redis: state.redis fields, ports: the data
 * nodes (master, or cluster masters), stop() }.
 */
function sharedStateSuite(mode, start) {
  describe(`two instances sharing state through Redis ${mode}`, { skip, timeout: 30_000 }, () => {
    let deployment;
    let origin;
    let pair = [];
    const served = new Map();
    const prefix = `${mode}${process.pid}:`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const get = (proxy, path, headers = {}) => request(`${proxy.url}${path}`, { headers: { host: HOST, ...headers }, agent });

    before(async () => {
      deployment = await start();
      origin = await startOrigin((req, res) => {
        served.set(req.url, (served.get(req.url) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=300' });
        res.end(`${req.url} v${served.get(req.url)}`);
      });
      const config = {
        admin: { address: '127.0.0.1:0', token: TOKEN },
        logging: { level: 'info', accessLog: { format: 'off' } },
        upstreams: { origin: { targets: [{ url: origin.url }] } },
        routes: [
          { name: 'limited', match: { pathPrefix: '/rl/' }, upstream: 'origin', rateLimit: { requests: LIMIT, per: '10s', burst: LIMIT - 1, key: 'header:x-client' } },
          { name: 'cached', match: { pathPrefix: '/c/' }, upstream: 'origin', cache: { enabled: true } },
        ],
        state: {
          redis: {
            keyPrefix: prefix,
            rateLimit: { enabled: true, onFailure: 'closed' },
            commandTimeout: '1s',
            ...deployment.redis,
          },
        },
      };
      pair = await Promise.all([startProxy(config), startProxy(config)]);
      await waitFor('both instances connected to Redis', async () => (await Promise.all(pair.map((p) => metric(p, 'barbican_redis_up', { token: TOKEN })))).every((v) => v === 1));
    });

    after(async () => {
      await Promise.all(pair.map((p) => p.close()));
      agent.destroy();
      await origin?.close();
      await deployment?.stop();
    });

    it(`holds a rate limit of ${LIMIT} per 10 s across both instances`, async () => {
      // burst LIMIT - 1: the GCRA admits LIMIT at once, then one per 2 s; 15 requests take far
      // less than that, so the fleet admits LIMIT (each instance alone would admit LIMIT too).
      const statuses = [];
      for (let i = 0; i < 3 * LIMIT; i++) statuses.push((await get(pair[i % 2], '/rl/x', { 'x-client': 'alice' })).status);
      const admitted = statuses.filter((s) => s === 200).length;
      const refused = statuses.filter((s) => s === 429).length;
      console.log(`${mode}: ${admitted} admitted, ${refused} refused of ${statuses.length} alternated over 2 instances`);
      assert.equal(admitted + refused, statuses.length, `only 200 or 429: ${statuses}`);
      // LIMIT (LIMIT + 1 if the machine is so slow that 2 s passed); local limits would admit 2 × LIMIT.
      assert.ok(admitted >= LIMIT && admitted <= LIMIT + 1, `admitted ${admitted}: ${statuses}`);
      // The other instance saw the refusal too: the count is in Redis.
      assert.ok(statuses.filter((s, i) => i % 2 === 1 && s === 429).length > 0);
      // The count is where the deployment keeps data (the master the sentinel names; a cluster node).
      assert.equal(keysOn(deployment.ports, `${prefix}rl:*`).length, 1);
    });

    it('fills the second tier through one instance and hits it on the other', async () => {
      const path = `/c/${mode}/item`;
      const a = await get(pair[0], path);
      assert.equal(a.status, 200);
      assert.match(a.headers['cache-status'], /fwd=/);
      const hitsBefore = await metric(pair[1], 'barbican_cache_tier_requests_total', { labels: '{result="hit"}', token: TOKEN });
      // The fill reaches Redis right after the response; B asks the second tier on its miss.
      await waitFor('B to find the entry in Redis', async () => {
        const b = await get(pair[1], path);
        return b.body.toString() === `${path} v1` && /; hit/.test(b.headers['cache-status']);
      });
      assert.equal(served.get(path), 1, 'the origin was asked once');
      assert.ok((await metric(pair[1], 'barbican_cache_tier_requests_total', { labels: '{result="hit"}', token: TOKEN })) > hitsBefore, 'B counted a Redis hit');
    });

    it('purges by prefix in Redis on every node (SCAN of every master in a Cluster)', async () => {
      // 12 keys: in a Cluster they fall in slots of every master (all on one: ~3^-11).
      const paths = Array.from({ length: 12 }, (_, i) => `/c/${mode}/purge/${i}`);
      for (const path of paths) assert.equal((await get(pair[0], path)).body.toString(), `${path} v1`);
      await waitFor('the fills to reach Redis', () => keysOn(deployment.ports, `${prefix}c:*purge*`).length === paths.length);
      const purge = await adminRequest(pair[0], '/api/cache/purge', { method: 'POST', token: TOKEN, json: { prefix: `http://${HOST}/c/${mode}/purge/` } });
      assert.equal(purge.status, 200);
      assert.deepEqual(keysOn(deployment.ports, `${prefix}c:*purge*`), [], 'no entry left in Redis');
      // B never held them in memory: it goes to Redis, finds nothing, and asks the origin.
      for (const path of paths) assert.equal((await get(pair[1], path)).body.toString(), `${path} v2`);
    });
  });
}

sharedStateSuite('sentinel', async () => {
  const s = await startSentinel({ name: 'barbican-test' });
  return { redis: { sentinels: [s.sentinel], sentinelName: 'barbican-test' }, ports: [s.master.port], stop: () => s.stop() };
});

sharedStateSuite('cluster', async () => {
  const c = await startCluster();
  return { redis: { cluster: c.nodes }, ports: c.ports, stop: () => c.stop() };
});
