#!/usr/bin/env node
// Generates docs/tflite-ops.md (the TFLite op-support tables) from the op tables of
// @mo/convert-tflite. `--check` exits non-zero when the committed file is out of date.
// Needs the package built (`cd packages/convert-tflite && npx tsup`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { tfliteOpsMarkdown } = await import(join(root, 'packages/convert-tflite/dist/index.js'));
const target = join(root, 'docs/tflite-ops.md');
const text = tfliteOpsMarkdown();
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('docs/tflite-ops.md is out of date: run `node tools/tflite-gen-ops-doc.mjs`');
    process.exit(1);
  }
  console.log('docs/tflite-ops.md is up to date');
} else {
  writeFileSync(target, text);
  console.log('wrote docs/tflite-ops.md');
}
