/**
 * Export: opset selection and version steps (checked by running the written files in ONNX
 * Runtime), IR-only constructs, unsupported-node reports, metadata, and the official ONNX
 * checker on written files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, UnsupportedOpError, perTensor, run, tensor, type Tensor } from '@mo/ir';
import { UnsupportedNodesError, exportModel, parseOnnx, saveOnnx } from '../src/index.js';
import { maxRelDiff } from './helpers.js';
import { mobileNetV2, qlinearModel, quantized, smallCnn, transformerBlock } from './models.js';
import { randomTensor, runOrt } from './ort.js';

/** Shape ops whose attribute-vs-input form changed over the opsets. */
function shapeOps(): Graph {
  const b = new GraphBuilder('shape-ops');
  const x = b.input('x', 'float32', [2, 3, 4]);
  let h = b.reduceSum(x, [2], true); // [2,3,1]
  h = b.squeeze(h, [2]); // [2,3]
  h = b.unsqueeze(h, [0]); // [1,2,3]
  const [p, q] = b.split(h, [1, 2], 2);
  h = b.concat([b.clip(q, 0, 0.5), p], -1); // [1,2,3]
  h = b.pad(h, [0, 0, 1, 0, 0, 2], { value: 0.25 }); // [1,2,6]
  h = b.slice(h, [1], [5], [2]); // [1,2,4]
  const [top] = b.topK(h, 2, -1); // [1,2,2]
  h = b.reduceMean(b.softmax(top, 1), [1], false); // [1,2]
  b.output(h, 'y');
  return b.build();
}

async function ortMatches(g: Graph, feeds: Record<string, Tensor>, opset: number): Promise<number> {
  const expected = run(g, feeds);
  const actual = await runOrt(saveOnnx(g, { opset }), feeds);
  return Math.max(...g.outputs.map((o) => maxRelDiff(actual[o.name], expected[o.name])));
}

const opsOf = (bytes: Uint8Array) => parseOnnx(bytes, { verify: false }).nodes.map((n) => n.op);
const nodesOf = (g: Graph, opset?: number) => exportModel(g, opset === undefined ? {} : { opset }).graph!.node!;

describe('opsets', () => {
  it.each([7, 9, 10, 11, 12, 13, 17, 18, 21])('shape ops written at opset %i run in ONNX Runtime', async (opset) => {
    expect(await ortMatches(shapeOps(), { x: randomTensor([2, 3, 4], 3) }, opset)).toBeLessThan(1e-5);
  });

  it('writes attributes where older opsets had them', () => {
    const nodes = nodesOf(shapeOps(), 11);
    const rs = nodes.find((n) => n.opType === 'ReduceSum')!;
    expect(rs.input).toHaveLength(1);
    expect(rs.attribute!.map((a) => a.name)).toContain('axes');
    const split = nodes.find((n) => n.opType === 'Split')!;
    expect(split.attribute!.map((a) => a.name)).toContain('split');
    const clip = nodes.find((n) => n.opType === 'Clip')!;
    expect(clip.input).toHaveLength(3); // Clip-11 already takes inputs
    expect(nodesOf(shapeOps(), 10).find((n) => n.opType === 'Clip')!.attribute!.map((a) => a.name).sort()).toEqual(['max', 'min']);
  });

  it('defaults to the graph opset capped at 18 and raises it when a node needs more', () => {
    const g = shapeOps(); // built at opset 21
    expect(exportModel(g).opsetImport).toEqual([{ domain: '', version: 18 }]);
    expect(Number(exportModel(g).irVersion)).toBe(8);
    const b = new GraphBuilder('wrap', { opset: 13 });
    b.output(b.pad(b.input('x', 'float32', [3]), [1, 1], { mode: 'wrap' }), 'y');
    expect(exportModel(b.build()).opsetImport).toEqual([{ domain: '', version: 19 }]);
  });

  it('with an explicit opset, lists every node that cannot be written', () => {
    const b = new GraphBuilder('new-ops');
    const x = b.input('x', 'float32', [2, 4]);
    b.output(b.mish(b.hardSwish(b.pad(x, [0, 1, 0, 1], { mode: 'wrap' }))), 'y');
    try {
      saveOnnx(b.build(), { opset: 13 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedOpError);
      expect((e as UnsupportedNodesError).items.map((i) => i.op).sort()).toEqual(['HardSwish', 'Mish', 'Pad']);
    }
  });

  it('Gelu below 20 and LayerNormalization below 17 are written as arithmetic', () => {
    const ops = opsOf(saveOnnx(transformerBlock(), { opset: 13 }));
    expect(ops).not.toContain('Gelu');
    expect(ops).not.toContain('LayerNormalization');
    expect(ops).toContain('Erf');
    expect(opsOf(saveOnnx(transformerBlock(), { opset: 20 }))).toContain('Gelu');
  });
});

describe('IR-only constructs', () => {
  it('fused activations become nodes after the op; NHWC becomes Transposes', () => {
    const ops = nodesOf(smallCnn({ nhwc: true })).map((n) => n.opType);
    const conv2 = ops.lastIndexOf('Conv');
    expect(ops.slice(conv2 - 1, conv2 + 3)).toEqual(['Transpose', 'Conv', 'Relu', 'Transpose']);
  });

  it('Dequantize becomes DequantizeLinear (affine) or Cast + Gather (lookup table); blocked params need opset 21', () => {
    const m = exportModel(quantized());
    expect(m.opsetImport).toEqual([{ domain: '', version: 21 }]);
    const ops = m.graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'DequantizeLinear')).toHaveLength(3);
    expect(ops).toContain('Gather');
    expect(() => saveOnnx(quantized(), { opset: 18 })).toThrow(/blocked quantization needs opset >= 21/);
  });

  it('quant params of graph inputs survive in the mo.quant metadata', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: { dtype: 'int8', shape: [4], quant: perTensor(0.5, 1) } }],
      outputs: [{ name: 'y', type: { dtype: 'float32', shape: [4] } }],
      nodes: [{ name: 'dq', op: 'Dequantize', inputs: ['x'], outputs: ['y'] }],
    });
    const back = parseOnnx(saveOnnx(g));
    expect(back.inputs[0].type.quant).toEqual(perTensor(0.5, 1));
    expect(run(back, { x: tensor('int8', [1, 3, -1, 0]) }).y.toNumbers()).toEqual([0, 1, -1, -0.5]);
  });

  it("requant 'fixed-point' is written with a warning", () => {
    const g = qlinearModel();
    const node = g.nodes.find((n) => n.op === 'QLinearConv')!;
    const fixed = g.updateAttrs(node.name, { requant: 'fixed-point' });
    const warnings: string[] = [];
    saveOnnx(fixed, { onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/fixed-point/);
  });
});

describe('files pass the official ONNX checker', () => {
  const python = '/usr/bin/python3';
  const checker = fileURLToPath(new URL('../../../tools/onnx-checker.py', import.meta.url));
  const hasOnnx = existsSync(python) && spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;
  // CI installs python3-onnx, so there a missing checker is a failure, not a skip.
  it.skipIf(!hasOnnx && !process.env.CI)('small CNN, encoder block, MobileNetV2, shape ops, quantized models (opset 13 and 17)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-check-'));
    try {
      const files: string[] = [];
      const models: [string, Graph][] = [
        ['cnn', smallCnn({ nhwc: true })],
        ['encoder', transformerBlock()],
        ['mobilenet', mobileNetV2({ width: 0.35, size: 64, classes: 10 })],
        ['shape-ops', shapeOps()],
        ['qlinear', qlinearModel({ nhwc: true })],
      ];
      for (const [name, g] of models) {
        for (const opset of [13, 17]) {
          const f = join(dir, `${name}-${opset}.onnx`);
          writeFileSync(f, saveOnnx(g, { opset }));
          files.push(f);
        }
      }
      const r = spawnSync(python, [checker, ...files], { encoding: 'utf8' });
      const failures = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => !x.ok);
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
