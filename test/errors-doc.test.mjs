// docs/errors.md and the table of error codes stay in step: every code is documented with its
// status (and source and retryable), and the doc names no code that does not exist.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../dist/errors/index.js';
import { ROOT } from './helpers.mjs';

const CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** Splits a Markdown table row into trimmed cells (pipes inside backticks are not expected). */
function cells(line) {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

const unquote = (cell) => cell.replace(/^`(.*)`$/, '$1');

/**
 * Where the doc names codes: table rows whose first cell is a code in backticks, and headings
 * that are a code. Returns Map code → { status, source, retryable, text } (first occurrence),
 * and every name found (duplicates included).
 */
function documentedCodes(markdown) {
  const found = new Map();
  const names = [];
  const lines = markdown.split('\n');
  let header = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim().startsWith('|')) {
      const row = cells(line);
      if (row.every((c) => /^:?-+:?$/.test(c))) continue;
      if (header === null || !/^`/.test(row[0])) {
        if (!/^`/.test(row[0])) header = row.map((c) => c.toLowerCase());
        continue;
      }
      const code = unquote(row[0]);
      names.push(code);
      const col = (name) => {
        const idx = header.indexOf(name);
        return idx === -1 ? undefined : row[idx];
      };
      if (!found.has(code)) found.set(code, { status: col('status'), source: col('source'), retryable: col('retryable'), text: line });
      continue;
    }
    header = null;
    const heading = /^#{1,6}\s+`?([A-Z][A-Z0-9_]*)`?\s*$/.exec(line);
    if (heading && heading[1].includes('_')) {
      const code = heading[1];
      names.push(code);
      // The section runs to the next heading; its status is the first three-digit number in it.
      let section = '';
      for (let j = i + 1; j < lines.length && !/^#{1,6}\s/.test(lines[j]); j++) section += `${lines[j]}\n`;
      if (!found.has(code)) found.set(code, { status: /\b([1-5]\d\d)\b/.exec(section)?.[1], source: undefined, retryable: undefined, text: section });
    }
  }
  return { found, names };
}

describe('docs/errors.md', () => {
  let markdown;
  let doc;

  before(() => {
    markdown = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    doc = documentedCodes(markdown);
  });

  it('the code table is not empty and its names look like codes', () => {
    const codes = Object.keys(ERROR_CODES);
    assert.ok(codes.length > 10, 'ERROR_CODES has entries');
    for (const code of codes) assert.match(code, CODE);
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.ok(Number.isInteger(info.status) && info.status >= 400 && info.status <= 599, `${code} status`);
      assert.ok(['downstream', 'upstream', 'internal'].includes(info.source), `${code} source`);
      assert.equal(typeof info.retryable, 'boolean', `${code} retryable`);
    }
  });

  for (const [code, info] of Object.entries(ERROR_CODES)) {
    it(`documents ${code} (${info.status}, ${info.source}, ${info.retryable ? 'retryable' : 'not retryable'})`, () => {
      const entry = doc.found.get(code);
      assert.ok(entry, `docs/errors.md has a table row or heading for ${code}`);
      assert.equal(entry.status, String(info.status), `status of ${code}`);
      if (entry.source !== undefined) assert.equal(entry.source, info.source, `source of ${code}`);
      if (entry.retryable !== undefined) assert.equal(/^yes$/i.test(entry.retryable), info.retryable, `retryable of ${code}`);
    });
  }

  it('names no code that does not exist, and each code once', () => {
    const unknown = doc.names.filter((n) => !Object.hasOwn(ERROR_CODES, n));
    assert.deepEqual(unknown, [], 'codes in docs/errors.md missing from ERROR_CODES');
    const seen = new Set();
    const dupes = doc.names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
    assert.deepEqual(dupes, [], 'codes documented twice');
  });

  it('every backticked code-like name in the prose is a real code', () => {
    // Catches a renamed code still mentioned outside the table.
    const mentioned = [...markdown.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]);
    const unknown = [...new Set(mentioned.filter((n) => !Object.hasOwn(ERROR_CODES, n)))];
    assert.deepEqual(unknown, []);
  });

  it('the parser finds rows, headings, and unknown names (self-check)', () => {
    const sample = documentedCodes(
      [
        '| Code | Status | Source | Retryable |',
        '| --- | --- | --- | --- |',
        '| `ROUTE_NOT_FOUND` | 404 | downstream | no |',
        '| `NO_SUCH_CODE` | 500 | internal | no |',
        '',
        '### UPSTREAM_RESET',
        'Status 502, retryable.',
      ].join('\n'),
    );
    assert.deepEqual(sample.names, ['ROUTE_NOT_FOUND', 'NO_SUCH_CODE', 'UPSTREAM_RESET']);
    assert.equal(sample.found.get('ROUTE_NOT_FOUND').status, '404');
    assert.equal(sample.found.get('ROUTE_NOT_FOUND').retryable, 'no');
    assert.equal(sample.found.get('UPSTREAM_RESET').status, '502');
  });
});
