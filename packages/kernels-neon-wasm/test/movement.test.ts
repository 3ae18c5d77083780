/** Views (Reshape and friends), Transpose and Concat against the reference. */
import { GraphBuilder } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { compareWithReference, randomTensor } from './helpers.js';

describe('views', () => {
  it('Reshape / Flatten / Squeeze / Unsqueeze / Identity run nothing and share memory', () => {
    const b = new GraphBuilder('views');
    const x = b.input('x', 'float32', [2, 3, 4]);
    const r = b.relu(x);
    const v = b.identity(b.unsqueeze(b.squeeze(b.unsqueeze(b.flatten(b.reshape(r, [6, 4]), 1), [0]), [0]), [2]));
    b.output(b.sigmoid(v), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([2, 3, 4], 1) });
    expect(s.kernels.filter((k) => k.ukernel === 'view')).toHaveLength(6);
  });
});

describe('Transpose', () => {
  it.each([
    [[3, 5], [1, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4, 5], [0, 2, 1, 3]],
    [[2, 3, 4, 5], [3, 1, 2, 0]],
    [[1, 2, 3, 2, 2], [4, 3, 2, 1, 0]],
  ] as [number[], number[]][])('%j perm %j', (shape, perm) => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', shape);
    b.output(b.transpose(x, perm), 'y');
    compareWithReference(b.build(), { x: randomTensor(shape, 2) }, { expectUkernels: ['x32-transpose-scalar-nd'] });
  });

  it('NCHW -> NHWC of a channels-last value is a view', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', [1, 4, 5, 6]);
    const c = b.conv(x, randomTensor([8, 4, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    const t = b.transpose(c, [0, 2, 3, 1]);
    b.output(b.relu(t), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 4, 5, 6], 2) });
    expect(s.kernels.find((k) => k.op === 'Transpose')?.ukernel).toBe('view');
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(1);
  });

  it('an NHWC input transposed to NCHW feeds a conv without any copy', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', [1, 5, 6, 4]);
    const t = b.transpose(x, [0, 3, 1, 2]);
    const c = b.conv(t, randomTensor([8, 4, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    b.output(b.transpose(c, [0, 2, 3, 1]), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 5, 6, 4], 2) });
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(0);
  });
});

describe('Concat', () => {
  it.each([
    [[[2, 3], [2, 5]], 1],
    [[[2, 3], [4, 3], [1, 3]], 0],
    [[[2, 3, 4], [2, 1, 4], [2, 2, 4]], 1],
    [[[1, 2, 3, 3], [1, 5, 3, 3]], 1],
  ] as [number[][], number][])('%j axis %i', (shapes, axis) => {
    const b = new GraphBuilder('c');
    const xs = shapes.map((s, i) => b.input(`x${i}`, 'float32', s));
    b.output(b.concat(xs, axis), 'y');
    compareWithReference(b.build(), Object.fromEntries(shapes.map((s, i) => [`x${i}`, randomTensor(s, i)])), { expectUkernels: ['x32-copy-scalar-2d'] });
  });

  it('channel concat of channels-last values stays channels-last', () => {
    const b = new GraphBuilder('c');
    const x = b.input('x', 'float32', [1, 3, 6, 6]);
    const a = b.conv(x, randomTensor([5, 3, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    const c = b.conv(x, randomTensor([7, 3, 1, 1], 2));
    const cat = b.concat([a, c], 1);
    b.output(b.conv(cat, randomTensor([4, 12, 1, 1], 3)), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([1, 3, 6, 6], 4) });
    expect(s.kernels.filter((k) => k.kernel === 'wasm/layout')).toHaveLength(2);
  });
});
