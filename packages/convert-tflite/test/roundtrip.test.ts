/**
 * fromTflite(toTflite(g)) computes what g computes (reference interpreter on both): float32,
 * float16 weights and int8. Quantization params come back on the IR types; a re-export of the
 * imported graph writes the same operators.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, float16BitsToFloat32, float32ToFloat16Bits, run, type Graph } from '@mo/ir';
import { buildModel } from '@mo/models';
import { exportTflite, fromTflite, toTflite } from '../src/index.js';
import { floatInput, relError, toNhwc } from './helpers/data.js';
import { toQdq } from './helpers/qdq.js';
import { CASES } from './graphs.js';

/** Runs `a` on NCHW feeds and `b` on the same data in its own layout; returns the relative errors. */
function compare(a: Graph, b: Graph, nhwc: boolean, seed = 1): number[] {
  const feeds = a.inputs.map((_, k) => floatInput(a, k, seed));
  const ra = run(a, Object.fromEntries(a.inputs.map((i, k) => [i.name, feeds[k]])));
  const fb = feeds.map((t) => (nhwc && t.rank === 4 ? new Tensor('float32', [t.shape[0], t.shape[2], t.shape[3], t.shape[1]], toNhwc(t.data, t.shape)) : t));
  const rb = run(b, Object.fromEntries(b.inputs.map((i, k) => [i.name, fb[k]])));
  return a.outputs.map((o, k) => {
    const x = ra[o.name];
    const y = rb[b.outputs[k].name];
    const yv = nhwc && y.rank === 4 ? new Tensor('float32', x.shape, Float32Array.from({ length: x.size }, (_, i) => {
      const [n, c, h, w] = x.shape;
      const ww = i % w;
      const hh = Math.floor(i / w) % h;
      const cc = Math.floor(i / (w * h)) % c;
      const nn = Math.floor(i / (w * h * c));
      return y.get(((nn * h + hh) * w + ww) * c + cc);
    })) : y;
    return relError(yv.toFloat32(), x.toFloat32());
  });
}

describe('float32 round trip', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const g = c.build();
      const back = fromTflite(toTflite(g));
      for (const r of compare(g, back, true)) expect(r).toBeLessThan(1e-5);
      const nchw = fromTflite(toTflite(g), { layout: 'NCHW' });
      expect(nchw.inputs.map((i) => i.type.shape)).toEqual(g.inputs.map((i) => i.type.shape));
      for (const r of compare(g, nchw, false)) expect(r).toBeLessThan(1e-5);
    });
  }
  for (const [name, res] of [['smallCnn', 28], ['mobilenetV2', 32], ['shuffleNetV2', 32], ['mobilenetV3Small', 32]] as const) {
    it(`${name}: same values, and a re-export writes the same operators`, () => {
      const g = buildModel(name, { batch: 1, resolution: res, batchNormInit: 'random', seed: 4 } as never);
      const ex = exportTflite(g);
      const back = fromTflite(ex.bytes);
      expect(compare(g, back, true)[0]).toBeLessThan(1e-4);
      expect(back.inputs[0].name).toBe('input');
      expect(back.outputs[0].name).toBe('logits');
      const again = exportTflite(back, { ioLayout: 'keep' });
      expect([...again.operators].sort()).toEqual([...ex.operators].sort());
    });
  }
});

describe('float16 weights round trip', () => {
  it('float16 constants come back behind Cast, values exact', () => {
    const g = buildModel('smallCnn', { batch: 1, seed: 2 } as never);
    const ex = exportTflite(g, { weights: 'float16' });
    const back = fromTflite(ex.bytes);
    const halves = [...back.initializers.values()].filter((t) => t.dtype === 'float16');
    expect(halves.length).toBeGreaterThan(4);
    expect(back.nodes.filter((n) => n.op === 'Cast').length).toBe(halves.length);
    // Same as the prepared graph with float16-rounded weights.
    const inits = new Map<string, Tensor>();
    for (const [k, t] of ex.prepared.initializers) inits.set(k, t.dtype === 'float32' && t.size > 1 ? new Tensor('float32', t.shape, Float32Array.from(t.data as Float32Array, (v) => float16BitsToFloat32(float32ToFloat16Bits(v)))) : t);
    const half = ex.prepared.with({ initializers: inits });
    const x = floatInput(g, 0, 5);
    const xh = new Tensor('float32', [1, 28, 28, 1], toNhwc(x.data, x.shape));
    const a = run(half, { [half.inputs[0].name]: xh })[half.outputs[0].name];
    const b = run(back, { [back.inputs[0].name]: xh })[back.outputs[0].name];
    expect(relError(b.toFloat32(), a.toFloat32())).toBeLessThan(1e-6);
  });
});

describe('int8 round trip', () => {
  it('QDQ graph -> int8 .tflite -> QDQ graph: same values within a quantization step, params on the types', () => {
    const g = buildModel('mobilenetV2', { batch: 1, resolution: 32, seed: 3 } as never);
    const q = toQdq(g, [{ input: floatInput(g, 0, 1) }, { input: floatInput(g, 0, 2) }]);
    const bytes = toTflite(q);
    const back = fromTflite(bytes, { layout: 'NCHW' });
    // int8 weights with per-output-channel params on axis 0 (OIHW), as in the source graph.
    const convWeights = back.nodes.filter((n) => n.op === 'Conv').map((n) => back.producerOf(n.inputs[1])!);
    expect(convWeights.length).toBe(52);
    for (const dq of convWeights) {
      expect(dq.op).toBe('DequantizeLinear');
      const w = back.initializers.get(dq.inputs[0])!;
      expect(w.dtype).toBe('int8');
      expect(w.quant?.kind).toBe('per-axis');
      expect(w.quant?.kind === 'per-axis' && w.quant.axis).toBe(0);
    }
    // Activations: int8 values whose types carry per-tensor params.
    const qOut = back.nodes.filter((n) => n.op === 'QuantizeLinear').map((n) => n.outputs[0]);
    expect(qOut.length).toBeGreaterThan(50);
    const x = floatInput(g, 0, 7);
    const a = run(q, { input: x }).logits;
    const b = run(back, { [back.inputs[0].name]: x })[back.outputs[0].name];
    const dq = q.nodes.find((n) => n.outputs[0] === 'logits')!;
    const step = q.initializers.get(dq.inputs[1])!.get(0);
    let d = 0;
    for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.get(i) - b.get(i)));
    expect(d / step).toBeLessThanOrEqual(2 + 1e-3);
    // The NHWC import (the file's own layout) exports again as the same integer operators.
    expect([...exportTflite(fromTflite(bytes), { ioLayout: 'keep' }).operators].sort()).toEqual([...exportTflite(q).operators].sort());
  });
});
