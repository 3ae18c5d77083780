/** Unary and binary elementwise kernels through sessions against the reference interpreter. */
import { GraphBuilder, Tensor, type Value } from '@mo/ir';
import { describe, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

/** A dense sweep of [-lo, hi] plus special values (0, -0, +-Inf, NaN, tiny, huge). */
function sweep(n: number, lo: number, hi: number): Tensor<'float32'> {
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + ((hi - lo) * i) / (n - 1);
  d.set([0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e30, -1e30, 1e-6, -1e-6, 0.4, -0.4, 3, -3]);
  return new Tensor('float32', [n], d);
}

function unaryCase(make: (b: GraphBuilder, x: Value) => Value, x: Tensor, ukernel = 'f32-vunary-simd128-4x') {
  const b = new GraphBuilder('unary');
  const v = b.input('x', 'float32', x.shape);
  b.output(make(b, v), 'y');
  compareWithReference(b.build(), { x }, { expectUkernels: [ukernel] });
}

describe('unary', () => {
  const ops: [string, (b: GraphBuilder, x: Value) => Value, number][] = [
    ['Relu', (b, x) => b.relu(x), 30],
    ['Clip (Relu6)', (b, x) => b.clip(x, 0, 6), 30],
    ['Clip (min only)', (b, x) => b.clip(x, -1), 30],
    ['LeakyRelu', (b, x) => b.leakyRelu(x, 0.1), 30],
    ['HardSwish', (b, x) => b.hardSwish(x), 30],
    ['HardSigmoid', (b, x) => b.hardSigmoid(x, 0.25, 0.4), 30],
    ['Sigmoid', (b, x) => b.sigmoid(x), 30],
    ['Tanh', (b, x) => b.tanh(x), 30],
    ['Gelu', (b, x) => b.gelu(x), 30],
    ['Gelu (tanh)', (b, x) => b.gelu(x, 'tanh'), 30],
    ['Neg', (b, x) => b.neg(x), 30],
    ['Abs', (b, x) => b.abs(x), 30],
    ['Exp', (b, x) => b.exp(x), 80],
  ];
  it.each(ops)('%s over a sweep and special values', (_n, make, range) => unaryCase(make, sweep(10007, -range, range)));
  it.each(ops)('%s at lengths around the vector width', (_n, make) => {
    for (const n of [1, 3, 4, 5, 8, 9]) unaryCase(make, randomTensor([n], n, -4, 4));
  });
  it('Sqrt', () => unaryCase((b, x) => b.sqrt(x), randomTensor([1001], 5, 0, 100)));
});

function binaryCase(op: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min', as: number[], bs: number[], constB = false, seed = 1) {
  const b = new GraphBuilder('binary');
  const x = b.input('a', 'float32', as);
  const feeds: Record<string, Tensor> = { a: randomTensor(as, seed) };
  let y: Value | Tensor;
  if (constB) y = randomTensor(bs, seed + 1, 0.5, 2);
  else {
    y = b.input('b', 'float32', bs);
    feeds.b = randomTensor(bs, seed + 1, 0.5, 2);
  }
  b.output(b[op](x, y), 'y');
  compareWithReference(b.build(), feeds, { expectUkernels: ['f32-vbinary-simd128-nd'] });
}

describe('binary', () => {
  const shapes: [string, number[], number[]][] = [
    ['same shape', [3, 5, 7], [3, 5, 7]],
    ['scalar right', [4, 9], []],
    ['scalar left', [], [4, 9]],
    ['row vector', [6, 10], [10]],
    ['column vector', [6, 10], [6, 1]],
    ['outer product', [7, 1], [1, 9]],
    ['per channel NCHW', [2, 5, 4, 3], [5, 1, 1]],
    ['middle broadcast', [3, 1, 5], [3, 4, 5]],
    ['5-d with alternating broadcast (more than 4 collapsed dims)', [2, 1, 3, 1, 5, 1], [1, 4, 1, 2, 1, 3]],
    ['odd lengths', [1, 13], [13]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min'] as const) {
    it.each(shapes)(`${op}: %s`, (_n, as, bs) => binaryCase(op, as, bs));
  }
  it('constant operands', () => {
    binaryCase('add', [2, 3, 4, 4], [3, 1, 1], true);
    binaryCase('mul', [2, 3, 4, 4], [2, 3, 4, 4], true);
  });
  it('Add with a fused activation', () => {
    for (const [activation, params] of [['Relu', []], ['Clip', [0, 1]], ['HardSwish', []], ['Tanh', []]] as const) {
      const b = new GraphBuilder('add');
      const x = b.input('a', 'float32', [3, 8]);
      const y = b.input('b', 'float32', [8]);
      b.output(b.op1('Add', [x, y], { activation, activation_params: [...params] }), 'y');
      compareWithReference(b.build(), { a: randomTensor([3, 8], 1), b: randomTensor([8], 2) });
    }
  });
  it('runs channels-last between convolutions: residual add and per-channel scale without conversions', () => {
    const b = new GraphBuilder('residual');
    const x = b.input('x', 'float32', [1, 8, 6, 6]);
    const c1 = b.conv(x, randomTensor([8, 8, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    const c2 = b.conv(c1, randomTensor([8, 8, 1, 1], 2));
    const sum = b.add(c1, c2);
    const scaled = b.mul(sum, randomTensor([8, 1, 1], 3));
    const out = b.conv(b.relu(scaled), randomTensor([4, 8, 1, 1], 4));
    b.output(out, 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 8, 6, 6], 5) });
    const conversions = s.kernels.filter((k) => k.kernel === 'wasm/layout').length;
    if (conversions !== 2) throw new Error(`expected 2 layout conversions, got ${conversions}: ${JSON.stringify(s.kernels)}`);
  });
  it('mixed layouts: a channels-last operand with a full-rank NCHW operand', () => {
    const b = new GraphBuilder('mixed');
    const x = b.input('x', 'float32', [1, 4, 5, 5]);
    const z = b.input('z', 'float32', [1, 4, 5, 5]);
    const c1 = b.conv(x, randomTensor([4, 4, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    b.output(b.sub(z, c1), 'y');
    compareWithReference(b.build(), { x: randomTensor([1, 4, 5, 5], 2), z: randomTensor([1, 4, 5, 5], 3) });
  });
});
