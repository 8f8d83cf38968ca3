#!/usr/bin/env node
// Generates docs/configuration.md from the configuration schema (run after `npx tsc -p tsconfig.json`).
//
//   node scripts/gen-config-docs.mjs            write the file
//   node scripts/gen-config-docs.mjs --check    exit 1 if the file differs from what the schema gives
//   --out PATH                                  another file instead of docs/configuration.md
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const outIndex = args.indexOf('--out');
const out = outIndex === -1 ? resolve(root, 'docs/configuration.md') : resolve(args[outIndex + 1] ?? '');
const unknown = args.filter((a, i) => a !== '--check' && a !== '--out' && i !== outIndex + 1);
if (unknown.length > 0 || (outIndex !== -1 && args[outIndex + 1] === undefined)) {
  console.error('usage: node scripts/gen-config-docs.mjs [--check] [--out PATH]');
  process.exit(2);
}

let docs, config;
try {
  docs = await import(pathToFileURL(resolve(root, 'dist/config/docs.js')).href);
  config = await import(pathToFileURL(resolve(root, 'dist/config/index.js')).href);
} catch (error) {
  console.error(`cannot load dist/config (run \`npx tsc -p tsconfig.json\` first): ${error.message}`);
  process.exit(2);
}

// The example in the reference must itself be a valid configuration.
const example = config.loadConfigText(docs.EXAMPLE_CONFIG, 'example', {});
if (!example.ok) {
  console.error('the example configuration in src/config/docs.ts is not valid:');
  console.error(config.formatProblems(example.problems));
  process.exit(1);
}

const { markdown, warnings } = docs.generateConfigDocs();
for (const warning of warnings) console.error(`warning: ${warning}`);

const shown = relative(process.cwd(), out) || out;
if (check) {
  let current = null;
  try {
    current = await readFile(out, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== markdown) {
    console.error(`${shown} is out of date with the schema; run: npx tsc -p tsconfig.json && node scripts/gen-config-docs.mjs`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
} else {
  await writeFile(out, markdown);
  console.log(`wrote ${shown}`);
}
