/**
 * TrainingOps (the kernels @mo/train's engine runs on) against independent references: GEMM with
 * every transpose combination against a float64 triple loop, and the Conv forward against the
 * @mo/ir reference interpreter, at sizes below, at and above the 4x8 / 8-channel tiles. Gradients
 * are compared with @mo/train's TypeScript rules in packages/train/test/engine.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Tensor, run } from '@mo/ir';
import { TrainingOps, createRuntimeSync } from '../src/index.js';

const ops = new TrainingOps(createRuntimeSync());
afterAll(() => ops.dispose());

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const randArray = (n: number) => Float32Array.from({ length: n }, rand);

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  let d = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / scale;
}

describe('TrainingOps.matmul', () => {
  for (const [m, n, k] of [[1, 1, 1], [3, 7, 5], [4, 8, 16], [9, 17, 33], [64, 10, 128]]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`, () => {
          const a = randArray(m * k);
          const b = randArray(k * n);
          const bias = randArray(n);
          const c = ops.matmul(a, b, m, n, k, { transA, transB, bias });
          const ref = new Float64Array(m * n);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = bias[j];
              for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
              ref[i * n + j] = s;
            }
          }
          expect(maxRel(c, ref)).toBeLessThan(1e-5);
        });
      }
    }
  }
});

describe('TrainingOps.conv forward against the reference interpreter', () => {
  const cases: { name: string; x: number[]; w: number[]; attrs: { pads?: number[]; strides?: number[]; group?: number } }[] = [
    { name: '3x3 pads 1, C=1, M=32', x: [2, 1, 9, 9], w: [32, 1, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
    { name: '3x3 stride 2, C=5, M=9', x: [1, 5, 8, 7], w: [9, 5, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
    { name: '1x1, C=13, M=24', x: [2, 13, 4, 5], w: [24, 13, 1, 1], attrs: {} },
    { name: 'depthwise 3x3 stride 2, C=11', x: [2, 11, 7, 7], w: [11, 1, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], group: 11 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const x = new Tensor('float32', c.x, randArray(c.x.reduce((p, d) => p * d, 1)));
      const w = new Tensor('float32', c.w, randArray(c.w.reduce((p, d) => p * d, 1)));
      const bias = new Tensor('float32', [c.w[0]], randArray(c.w[0]));
      const b = new GraphBuilder('conv');
      b.output(b.conv(b.input('x', 'float32', c.x), b.constant(w, 'w'), b.constant(bias, 'b'), c.attrs), 'y');
      const ref = run(b.build(), { x }).y;
      // twice: the second call reuses the plan built by the first
      for (let k = 0; k < 2; k++) {
        const { y, shape } = ops.conv(x.data as Float32Array, c.x, w.data as Float32Array, c.w, bias.data as Float32Array, c.attrs);
        expect(shape).toEqual(ref.shape);
        expect(maxRel(y, ref.data as Float32Array)).toBeLessThan(1e-5);
      }
    });
  }
});
