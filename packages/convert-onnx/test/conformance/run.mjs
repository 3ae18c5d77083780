#!/usr/bin/env node
// ONNX backend conformance: loads every test case of Debian's libonnx-testdata
// (/usr/share/libonnx-testdata/data/{node,simple,pytorch-converted,pytorch-operator}/test_*/),
// runs it through the @mo/ir reference interpreter and compares with the expected outputs at the
// ONNX backend-test tolerance (|actual - expected| <= atol + rtol * |expected|, rtol 1e-3,
// atol 1e-7). Every model that loads is also saved and loaded again, and the two graphs must be
// structurally equal. Cases are skipped only through excluded.json, each with a reason.
//
// Usage: node test/conformance/run.mjs [--filter REGEX] [--suites node,simple] [--list-failures]
//        [--json FILE]     (needs the package built: npm run build)
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MoError, explainDifference, run } from '@mo/ir';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '../..');
const { parseOnnx, parseOnnxTensor, saveOnnx, supportedOnnxOps } = await import(join(pkg, 'dist/index.js'));
import { compareTensors, loadCase, listCases } from './cases.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = opt('--filter') ? new RegExp(opt('--filter')) : undefined;
const suites = (opt('--suites') ?? 'node,simple,pytorch-converted,pytorch-operator').split(',');
const listFailures = args.includes('--list-failures');
const excluded = JSON.parse(readFileSync(join(here, 'excluded.json'), 'utf8'));

const ROOT = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
if (!existsSync(ROOT)) {
  console.error(`${ROOT} not found: install Debian's libonnx-testdata (apt-get install libonnx-testdata)`);
  process.exit(2);
}

const results = [];
const t0 = performance.now();
for (const c of listCases(ROOT, suites)) {
  if (filter && !filter.test(c.id)) continue;
  const reason = excluded[c.id];
  if (reason) {
    results.push({ id: c.id, status: 'skipped', reason });
    continue;
  }
  const start = performance.now();
  const r = runCase(c);
  r.ms = Math.round(performance.now() - start);
  results.push(r);
}

function runCase(c) {
  let graph;
  try {
    graph = parseOnnx(readFileSync(c.model), { fileName: c.model });
  } catch (e) {
    return { id: c.id, status: 'failed', kind: e instanceof MoError ? e.constructor.name : 'crash', reason: oneLine(e) };
  }
  const out = { id: c.id, status: 'passed' };
  // Round trip first: it must hold for every model that loads, whatever the numbers say.
  try {
    const again = parseOnnx(saveOnnx(graph));
    const diff = explainDifference(graph, again);
    out.roundTrip = diff === undefined ? 'equal' : `differs: ${oneLine(diff)}`;
  } catch (e) {
    out.roundTrip = `error: ${oneLine(e)}`;
  }
  try {
    for (const set of c.sets) {
      const { feeds, expected } = loadCase(graph, set, parseOnnxTensor);
      const actual = run(graph, feeds);
      graph.outputs.forEach((o, k) => {
        const problem = compareTensors(actual[o.name], expected[k], 1e-3, 1e-7);
        if (problem) throw new Error(`${set.name} output '${o.name}': ${problem}`);
      });
    }
  } catch (e) {
    return { ...out, status: 'failed', kind: e instanceof MoError ? e.constructor.name : 'mismatch', reason: oneLine(e) };
  }
  return out;
}

function oneLine(e) {
  return String(e instanceof Error ? e.message : e).split('\n').join(' ').slice(0, 400);
}

const count = (s) => results.filter((r) => r.status === s).length;
const loaded = results.filter((r) => r.roundTrip !== undefined);
const rtEqual = loaded.filter((r) => r.roundTrip === 'equal').length;
const secs = ((performance.now() - t0) / 1000).toFixed(1);

if (listFailures) {
  for (const r of results.filter((x) => x.status === 'failed')) console.log(`FAIL ${r.id} [${r.kind}] ${r.reason}`);
  for (const r of loaded.filter((x) => x.roundTrip !== 'equal')) console.log(`ROUNDTRIP ${r.id}: ${r.roundTrip}`);
}
const byKind = {};
for (const r of results.filter((x) => x.status === 'failed')) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
console.log(`failures by kind: ${Object.entries(byKind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
console.log(`round trip (load -> save -> load structurally equal): ${rtEqual} of ${loaded.length} loaded models`);
console.log(`supported ONNX ops: ${supportedOnnxOps().length}`);
console.log(`conformance (${suites.join(', ')}; ${secs}s): ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(results, null, 1));

// Gate: every case whose ops are all supported must pass, every loaded model must round-trip,
// and the op coverage must not fall below the issue's floor. Unsupported constructs are counted
// (and listed with --list-failures) but do not fail the run.
const mismatches = results.filter((r) => r.status === 'failed' && r.kind !== 'UnsupportedNodesError');
const supportedCases = results.filter((r) => r.status !== 'skipped' && r.kind !== 'UnsupportedNodesError').length;
const rate = supportedCases ? (100 * count('passed')) / supportedCases : 100;
console.log(`cases whose ops are all supported: ${count('passed')} of ${supportedCases} pass (${rate.toFixed(1)}%)`);
const problems = [];
if (mismatches.length) problems.push(`${mismatches.length} supported case(s) failed: ${mismatches.slice(0, 10).map((r) => r.id).join(', ')}`);
if (rtEqual !== loaded.length) problems.push(`${loaded.length - rtEqual} loaded model(s) did not round-trip`);
if (!filter && supportedOnnxOps().length < 110) problems.push(`only ${supportedOnnxOps().length} ONNX ops supported (floor: 110)`);
if (problems.length) {
  console.error(`conformance gate failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

