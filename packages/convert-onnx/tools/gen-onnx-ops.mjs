#!/usr/bin/env node
// Generates docs/onnx-ops.md (repository root) from the op table of the built package.
// `--check` exits non-zero when the file is out of date. Needs @mo/ir and this package built.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSchema } from '@mo/ir';
import { renderOnnxOpsDoc } from './onnx-ops-doc.mjs';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { OP_TABLE, MAX_EXPORT_OPSET } = await import(join(pkg, 'dist/index.js'));
const target = resolve(pkg, '../../docs/onnx-ops.md');
const text = renderOnnxOpsDoc(OP_TABLE, (op) => !!findSchema(op), { maxOpset: MAX_EXPORT_OPSET });
if (process.argv.includes('--check')) {
  if ((existsSync(target) ? readFileSync(target, 'utf8') : '') !== text) {
    console.error('docs/onnx-ops.md is out of date: run `npm run docs -w @mo/convert-onnx`');
    process.exit(1);
  }
  console.log('docs/onnx-ops.md is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
