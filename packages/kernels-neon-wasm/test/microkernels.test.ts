/**
 * Every microkernel of the variant lists against the @mo/ir reference (runNode), at sizes equal
 * to, below, above and multiples of its tile.
 */
import { runNode, Tensor, type Node } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { createRuntimeSync, F32_DWCONV_VARIANTS, F32_GEMM_VARIANTS, F32_IGEMM_VARIANTS, MICROKERNELS, bindGemm, packGemmWeights, packedGemmBytes } from '../src/index.js';
import { bindConv, packConv } from '../src/operators/conv.js';
import { window2d } from '../src/operators/geometry.js';
import { planActivation } from '../src/operators/activation.js';
import { maxRelErr, randomTensor, TOLERANCE } from './helpers.js';

const rt = createRuntimeSync();
const heap = rt.heap;

const node = (op: string, inputs: number, attrs: Record<string, unknown> = {}): Node => ({
  name: op.toLowerCase(),
  op,
  inputs: Array.from({ length: inputs }, (_, i) => `i${i}`),
  outputs: ['y'],
  attrs: attrs as Node['attrs'],
});

const upload = (t: Tensor, extra = 0): number => {
  const p = heap.alloc((t.size + extra) * 4);
  heap.writeF32(p, t.data as Float32Array);
  return p;
};

describe('microkernel variant lists', () => {
  it('every listed microkernel is a wasm export, named <dtype>-<op>-<isa>-<tile>', () => {
    for (const [op, list] of Object.entries(MICROKERNELS)) {
      expect(list.length).toBeGreaterThan(0);
      for (const v of list) {
        expect(typeof rt.exports[v.symbol], v.symbol).toBe('function');
        expect(v.name.startsWith(`${op}-`), v.name).toBe(true);
        expect(v.name.split('-').length, v.name).toBeGreaterThanOrEqual(4);
      }
    }
  });
});

describe.each(F32_GEMM_VARIANTS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
  const mr = v.mr;
  const ms = [...new Set([1, Math.max(1, mr - 1), mr, mr + 1, 2 * mr, 2 * mr + 1])];
  const ns = [1, 3, 7, 8, 9, 16, 17];
  const ks = [1, 4, 17];
  it.each(ms)('M=%i, all N x K shapes, against Gemm', (m) => {
    let seed = m * 1000;
    for (const n of ns) {
      for (const k of ks) {
        const a = randomTensor([m, k], ++seed);
        const b = randomTensor([k, n], ++seed);
        const bias = randomTensor([n], ++seed);
        const expected = runNode(node('Gemm', 3), [a, b, bias])[0];
        const w = packGemmWeights(rt, b.data as Float32Array, k, n, n, 1, bias.data as Float32Array);
        const pa = upload(a);
        const c = heap.alloc(m * n * 4);
        bindGemm(rt, { m, n, k, a: pa, lda: k, w, c, ldc: n, min: -Infinity, max: Infinity }, v)();
        const actual = new Tensor('float32', [m, n], heap.readF32(c, m * n));
        expect(maxRelErr(actual, expected), `${v.name} ${m}x${n}x${k}`).toBeLessThanOrEqual(TOLERANCE);
        [w, pa, c].forEach((p) => heap.release(p));
      }
    }
  });

  it('strided A and C, clamp (fused Clip), transposed B', () => {
    const m = 2 * mr + 1;
    const n = 19;
    const k = 13;
    const lda = k + 3;
    const ldc = n + 5;
    const a = randomTensor([m, k], 7);
    const bt = randomTensor([n, k], 8); // B transposed
    const expected = runNode(node('Gemm', 2, { transB: 1, activation: 'Clip', activation_params: [-0.4, 0.6] }), [a, bt])[0];
    const w = packGemmWeights(rt, bt.data as Float32Array, k, n, 1, k);
    const pa = heap.alloc(m * lda * 4);
    for (let i = 0; i < m; i++) heap.writeF32(pa + i * lda * 4, (a.data as Float32Array).subarray(i * k, (i + 1) * k));
    const c = heap.calloc(m * ldc * 4);
    bindGemm(rt, { m, n, k, a: pa, lda, w, c, ldc, min: -0.4, max: 0.6 }, v)();
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) out.set(heap.readF32(c + i * ldc * 4, n), i * n);
    expect(maxRelErr(new Tensor('float32', [m, n], out), expected)).toBeLessThanOrEqual(TOLERANCE);
    // columns between n and ldc are never written
    for (let i = 0; i < m; i++) expect(Array.from(heap.readF32(c + (i * ldc + n) * 4, ldc - n))).toEqual(new Array(ldc - n).fill(0));
    [w, pa, c].forEach((p) => heap.release(p));
  });
});

/** A Conv through packConv/bindConv (NHWC) against the reference Conv with layout NHWC. */
function checkConv(opts: {
  n: number; h: number; w: number; c: number; m: number; k: [number, number]; group?: number; strides?: number[]; pads?: number[]; dilations?: number[];
  igemm?: (typeof F32_IGEMM_VARIANTS)[number]; dw?: (typeof F32_DWCONV_VARIANTS)[number]; activation?: string; params?: number[]; seed: number;
}): string {
  const group = opts.group ?? 1;
  const x = randomTensor([opts.n, opts.h, opts.w, opts.c], opts.seed);
  const wt = randomTensor([opts.m, opts.c / group, ...opts.k], opts.seed + 1);
  const bias = randomTensor([opts.m], opts.seed + 2);
  const attrs = { layout: 'NHWC', group, strides: opts.strides, pads: opts.pads, dilations: opts.dilations, activation: opts.activation ?? 'none', activation_params: opts.params ?? [] };
  for (const k of Object.keys(attrs) as (keyof typeof attrs)[]) if (attrs[k] === undefined) delete attrs[k];
  const expected = runNode(node('Conv', 3, attrs), [x, wt, bias])[0];
  const pc = packConv(rt, wt.data as Float32Array, wt.shape, bias.data as Float32Array, group, opts.c, opts.dw);
  const g = window2d(opts.n, [opts.h, opts.w], { kernel: opts.k, strides: opts.strides, pads: opts.pads, dilations: opts.dilations });
  const px = upload(x);
  const py = heap.alloc(expected.size * 4);
  const allocs: number[] = [];
  const b = bindConv(rt, pc, g, opts.c, px, py, planActivation(opts.activation, opts.params), (bytes) => {
    const p = heap.alloc(bytes);
    allocs.push(p);
    return p;
  }, opts.igemm);
  b.run();
  const actual = new Tensor('float32', expected.shape, heap.readF32(py, expected.size));
  const err = maxRelErr(actual, expected);
  expect(err, `${b.ukernel} ${JSON.stringify(opts)}`).toBeLessThanOrEqual(TOLERANCE);
  pc.release();
  [px, py, ...allocs].forEach((p) => heap.release(p));
  return b.ukernel;
}

describe.each(F32_IGEMM_VARIANTS.map((v) => [v.name, v] as const))('%s', (name, v) => {
  const mr = v.mr;
  const pixels = [...new Set([1, Math.max(1, mr - 1), mr, mr + 1, 2 * mr, 3 * mr + 2])];
  it.each(pixels)('%i output pixels, 3x3 pad 1, odd channels', (p) => {
    for (const [c, m] of [[1, 2], [3, 8], [5, 9], [8, 17]]) {
      expect(checkConv({ n: 1, h: 1, w: p, c, m, k: [3, 3], pads: [1, 1, 1, 1], igemm: v, seed: p * 31 + c })).toBe(name);
    }
  });
  it('strides, dilations, asymmetric pads, groups, batch 2, fused activations', () => {
    checkConv({ n: 2, h: 7, w: 6, c: 4, m: 10, k: [3, 2], strides: [2, 1], pads: [0, 1, 2, 0], igemm: v, seed: 11 });
    checkConv({ n: 1, h: 9, w: 9, c: 3, m: 5, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], igemm: v, seed: 12, activation: 'Relu' });
    checkConv({ n: 2, h: 5, w: 5, c: 6, m: 9, k: [3, 3], group: 3, pads: [1, 1, 1, 1], igemm: v, seed: 13, activation: 'Clip', params: [-0.5, 0.5] });
    checkConv({ n: 1, h: 4, w: 5, c: 4, m: 12, k: [1, 1], strides: [2, 2], igemm: v, seed: 14, activation: 'HardSwish' });
    checkConv({ n: 1, h: 6, w: 6, c: 2, m: 3, k: [5, 5], pads: [2, 2, 2, 2], igemm: v, seed: 15, activation: 'Sigmoid' });
  });
});

describe.each(F32_DWCONV_VARIANTS.map((v) => [v.name, v] as const))('%s', (name, v) => {
  const ch = v.channels;
  const kernels: [number, number][] = v.taps === 9 ? [[3, 3]] : v.taps === 25 ? [[5, 5]] : [[3, 3], [2, 2], [1, 7], [5, 5]];
  const channels = [...new Set([1, ch - 1, ch, ch + 1, 2 * ch, 2 * ch + 3])];
  it.each(channels)('%i channels, strides 1 and 2, padding', (c) => {
    let seed = c * 97;
    for (const k of kernels) {
      const pad = [Math.floor(k[0] / 2), Math.floor(k[1] / 2)];
      expect(checkConv({ n: 1, h: 7, w: 8, c, m: c, k, group: c, pads: [pad[0], pad[1], pad[0], pad[1]], dw: v, seed: ++seed })).toBe(name);
      expect(checkConv({ n: 2, h: 9, w: 7, c, m: c, k, group: c, strides: [2, 2], pads: [pad[0], pad[1], k[0] - 1 - pad[0], k[1] - 1 - pad[1]], dw: v, seed: ++seed })).toBe(name);
    }
  });
  it('dilation, no padding, fused Relu6 and LeakyRelu', () => {
    const k = kernels[0];
    checkConv({ n: 1, h: 12, w: 11, c: ch + 2, m: ch + 2, k, group: ch + 2, dilations: [2, 2], dw: v, seed: 5, activation: 'Clip', params: [0, 6] });
    checkConv({ n: 1, h: 8, w: 8, c: ch, m: ch, k, group: ch, dw: v, seed: 6, activation: 'LeakyRelu', params: [0.1] });
  });
});

describe('x32-packw', () => {
  it('packGemmWeights (written from JavaScript) gives the bytes of x32_packw_gemm_8, plain and transposed, with bias and scale', () => {
    for (const [k, n] of [[1, 1], [3, 8], [5, 13], [17, 40]]) {
      const b = randomTensor([k, n], k * 100 + n).data as Float32Array;
      const bias = randomTensor([n], 7).data as Float32Array;
      for (const [ldk, ldn] of [[n, 1], [1, k]]) {
        for (const scale of [1, 0.5]) {
          const js = packGemmWeights(rt, b, k, n, ldk, ldn, bias, scale);
          const raw = rt.heap.alloc(b.length * 4);
          rt.heap.writeF32(raw, scale === 1 ? b : b.map((v) => v * scale));
          const bp = rt.heap.alloc(n * 4);
          rt.heap.writeF32(bp, bias);
          const out = rt.heap.alloc(packedGemmBytes(k, n));
          rt.fn('x32_packw_gemm_8')(k, n, raw, ldk, ldn, bp, out);
          const len = packedGemmBytes(k, n) / 4;
          expect(rt.heap.readF32(js, len)).toEqual(rt.heap.readF32(out, len));
          for (const p of [js, raw, bp, out]) rt.heap.release(p);
        }
      }
    }
  });
});
