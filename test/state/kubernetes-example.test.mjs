// examples/kubernetes/: the configuration in the ConfigMap is valid (`barbican check`), the
// probes point at GET /healthz on the admin listener's port, and the grace period outlasts
// server.shutdownTimeout (so SIGTERM can drain).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { BIN, ROOT } from '../helpers.mjs';

const docs = parseAllDocuments(readFileSync(join(ROOT, 'examples', 'kubernetes', 'barbican.yaml'), 'utf8')).map((d) => d.toJS());
const byKind = (kind) => docs.find((d) => d.kind === kind);

test('examples/kubernetes/barbican.yaml: the ConfigMap holds a valid configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'barbican-k8s-'));
  try {
    const file = join(dir, 'barbican.yaml');
    writeFileSync(file, byKind('ConfigMap').data['barbican.yaml']);
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', file], { encoding: 'utf8', env: { ...process.env, BARBICAN_ADMIN_TOKEN: 'x'.repeat(32) } });
    assert.equal(r.status, 0, r.stderr + r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/kubernetes/barbican.yaml: probes on /healthz of the admin port; grace period above shutdownTimeout', () => {
  const config = parse(byKind('ConfigMap').data['barbican.yaml']);
  const adminPort = Number(config.admin.address.split(':').pop());
  const spec = byKind('Deployment').spec.template.spec;
  const container = spec.containers[0];
  const admin = container.ports.find((p) => p.name === 'admin');
  assert.equal(admin.containerPort, adminPort);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.equal(probe.httpGet.path, '/healthz');
    assert.equal(probe.httpGet.port, 'admin');
  }
  assert.ok(spec.terminationGracePeriodSeconds > Number.parseInt(config.server.shutdownTimeout, 10));
  assert.ok(byKind('Service'));
});
