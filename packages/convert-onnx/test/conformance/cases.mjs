// Shared by the conformance command (run.mjs) and the vitest subset: finds test cases, reads
// their .pb files and compares tensors at the ONNX backend-test tolerance.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '@mo/ir';

/** Every case under ROOT/<suite>/test_*, with its model and data sets. */
export function listCases(root, suites) {
  const out = [];
  for (const suite of suites) {
    const dir = join(root, suite);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const caseDir = join(dir, name);
      const model = join(caseDir, 'model.onnx');
      if (!name.startsWith('test_') || !existsSync(model)) continue;
      const sets = readdirSync(caseDir)
        .filter((d) => d.startsWith('test_data_set_'))
        .sort()
        .map((d) => ({ name: d, dir: join(caseDir, d) }));
      out.push({ id: `${suite}/${name}`, model, sets });
    }
  }
  return out;
}

/** Feeds (by graph input) and expected outputs (by position) of one data set. */
export function loadCase(graph, set, parseTensor) {
  const files = readdirSync(set.dir);
  const numbered = (prefix) =>
    files
      .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((f) => parseTensor(readFileSync(join(set.dir, f)), { fileName: join(set.dir, f) }));
  const inputs = numbered('input_');
  const expected = numbered('output_');
  // input_K belongs to the K-th graph input that is not an initializer.
  const names = graph.inputs.filter((i) => !graph.initializers.has(i.name)).map((i) => i.name);
  const feeds = {};
  inputs.forEach((t, k) => {
    if (k < names.length) feeds[names[k]] = asBfloat16If(t, graph.inputs.find((i) => i.name === names[k]).type.dtype);
  });
  return { feeds, expected: expected.map((t, k) => asBfloat16If(t, graph.outputs[k]?.type.dtype)) };
}

/** Undefined when `actual` matches `expected` (numpy.testing.assert_allclose), else why not. */
export function compareTensors(actual, expected, rtol, atol) {
  if (!actual) return 'missing';
  if (!expected) return 'no expected value';
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `shape [${actual.shape}], expected [${expected.shape}]`;
  }
  const big = actual.dtype === 'int64' || actual.dtype === 'uint64';
  const exact = big || !/float/.test(actual.dtype);
  for (let i = 0; i < expected.size; i++) {
    if (big) {
      if (actual.data[i] !== expected.data[i]) return `element ${i} is ${actual.data[i]}, expected ${expected.data[i]}`;
      continue;
    }
    const a = actual.get(i);
    const e = expected.get(i);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (exact ? a !== e : !(Math.abs(a - e) <= atol + rtol * Math.abs(e)) && a !== e) return `element ${i} is ${a}, expected ${e}`;
  }
  return undefined;
}

/** The suite stores bfloat16 tensors as UINT16 .pb files (numpy has no bfloat16): same bits. */
function asBfloat16If(t, dtype) {
  return dtype === 'bfloat16' && t.dtype === 'uint16' ? new Tensor('bfloat16', t.shape, t.data) : t;
}
