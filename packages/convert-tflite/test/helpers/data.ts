/** Seeded inputs, layout helpers and error measures shared by the tests. */
import { Tensor, type Graph } from '@mo/ir';

/** Park-Miller values in [-1, 1). */
export function seeded(n: number, seed = 1, scale = 1): Float32Array {
  const x = new Float32Array(n);
  let s = seed % 2147483647 || 1;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    x[i] = ((s / 2147483647) * 2 - 1) * scale;
  }
  return x;
}

/** NCHW data -> NHWC data (rank 4). */
export function toNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) y[((b * h + i) * w + j) * c + k] = x[((b * c + k) * h + i) * w + j];
  return y;
}

/** NHWC data -> NCHW data, given the NCHW shape. */
export function toNchw(y: ArrayLike<number>, [n, c, h, w]: readonly number[]): Float32Array {
  const x = new Float32Array(y.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) x[((b * c + k) * h + i) * w + j] = y[((b * h + i) * w + j) * c + k];
  return x;
}

/** Static shape of a graph input. */
export function inputShape(g: Graph, k = 0): number[] {
  return g.inputs[k].type.shape.map((d) => (typeof d === 'number' ? d : 1));
}

export function floatInput(g: Graph, k = 0, seed = 1): Tensor<'float32'> {
  const shape = inputShape(g, k);
  return new Tensor('float32', shape, seeded(shape.reduce((a, b) => a * b, 1), seed + k));
}

/** Largest |a - b| divided by the largest |b| (error relative to the output's scale). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
