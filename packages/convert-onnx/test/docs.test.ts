/** docs/onnx-ops.md must match the op table (regenerate with `npm run docs -w @mo/convert-onnx`). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { findSchema } from '@mo/ir';
import { MAX_EXPORT_OPSET, OP_TABLE } from '../src/index.js';
// @ts-expect-error plain JS shared with the generator
import { renderOnnxOpsDoc } from '../tools/onnx-ops-doc.mjs';

it('docs/onnx-ops.md is generated from the current op table', () => {
  const file = readFileSync(fileURLToPath(new URL('../../../docs/onnx-ops.md', import.meta.url)), 'utf8');
  expect(file).toBe(renderOnnxOpsDoc(OP_TABLE, (op: string) => !!findSchema(op), { maxOpset: MAX_EXPORT_OPSET }));
});

it('every op table rule is consistent (unique, steps ordered, composites lower)', () => {
  const keys = OP_TABLE.map((r) => `${r.domain}.${r.op}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const r of OP_TABLE) {
    expect(r.steps.map((s) => s.at)).toEqual([...r.steps.map((s) => s.at)].sort((a, b) => a - b));
    expect(r.steps.every((s) => s.at > r.since), `${r.op}: steps after since`).toBe(true);
    expect(r.composite).toBe(!!r.lower);
  }
});
