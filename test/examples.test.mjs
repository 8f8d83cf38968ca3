// Every example configuration in examples/ is valid (`barbican check` exits 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './helpers.mjs';

const dir = join(ROOT, 'examples');
for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  test(`examples/${name} passes barbican check`, () => {
    const r = spawnSync(process.execPath, [BIN, 'check', '--config', join(dir, name)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid/);
  });
}
