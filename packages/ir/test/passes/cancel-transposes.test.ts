import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GraphBuilder, tensor } from '../../src/index.js';
import { cancelTransposes } from '../../src/passes/index.js';
import { TO_NCHW, TO_NHWC, apply, expectEqualGraphs, expectSameOutputs, f32, opsOf } from './pass-helpers.js';

describe('cancelTransposes', () => {
  it('removes a Transpose pair that composes to the identity', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 2, 3, 4]);
    b.output(b.relu(b.transpose(b.transpose(x, TO_NHWC), TO_NCHW)), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    e.output(e.relu(e.input('x', 'float32', [1, 2, 3, 4])), 'y');
    expectEqualGraphs(out, e.build());
  });

  it('composes two Transposes into one', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 4]);
    b.output(b.transpose(b.transpose(x, [1, 0, 2]), [0, 2, 1]), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    e.output(e.transpose(e.input('x', 'float32', [2, 3, 4]), [1, 2, 0]), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('uses the default (reversing) perm', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3, 4]);
    b.output(b.sigmoid(b.transpose(b.transpose(x))), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    expect(opsOf(out)).toEqual(['Sigmoid']);
  });

  it('moves a Transpose through unary ops until it cancels', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 3, 2]);
    const t = b.transpose(x, TO_NCHW);
    const h = b.clip(b.relu(t), 0, 6);
    b.output(b.transpose(h, TO_NHWC), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    e.output(e.clip(e.relu(e.input('x', 'float32', [1, 4, 3, 2])), 0, 6), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('moves Transposes through binary ops; constants are permuted ([C,1,1] -> [1,1,C])', () => {
    const bias = f32([4, 1, 1], (i) => i - 1.5);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 2, 4]);
    const z = b.input('z', 'float32', [1, 3, 2, 4]);
    const s = b.add(b.transpose(x, TO_NCHW), b.transpose(z, TO_NCHW));
    b.output(b.transpose(b.mul(s, bias), TO_NHWC), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [1, 3, 2, 4]);
    const ez = e.input('z', 'float32', [1, 3, 2, 4]);
    e.output(e.mul(e.add(ex, ez), f32([1, 1, 4], (i) => i - 1.5)), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('permutes full-rank constants and keeps scalars', () => {
    const k = f32([1, 4, 3, 2], (i) => i * 0.25);
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 2, 4]);
    const v = b.sub(b.mul(b.transpose(x, TO_NCHW), k), 0.5);
    b.output(b.transpose(b.where(b.greater(v, 0), v, tensor('float32', [1, 2, 3, 4], [4, 1, 1])), TO_NHWC), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    expect(opsOf(out)).not.toContain('Transpose');
    expectSameOutputs(g, out);
  });

  it('leaves a Transpose before an op it cannot move through, and a Transpose read elsewhere', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 3, 2]);
    const t = b.transpose(x, TO_NCHW);
    b.output(b.softmax(t, 1), 'y');
    b.output(b.relu(t), 'r'); // pushing would add a Transpose without freeing one
    b.output(t, 't');
    const g = b.build();
    expect(apply(g, cancelTransposes)).toBe(g);
  });

  it('does not move a Transpose when other operands are not transposed the same way', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 3, 2]);
    const z = b.input('z', 'float32', [1, 2, 4, 3]);
    const x2 = b.input('x2', 'float32', [1, 2, 3, 4]);
    b.output(b.add(b.transpose(x, TO_NCHW), z), 'y');
    b.output(b.add(b.transpose(x, TO_NCHW), b.transpose(x2, [0, 1, 3, 2])), 'w');
    const g = b.build();
    expect(apply(g, cancelTransposes)).toBe(g);
  });

  it('moves a shared Transpose through all its elementwise readers (x * sigmoid(x))', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 3, 2, 4]);
    const t = b.transpose(x, TO_NCHW);
    b.output(b.transpose(b.mul(t, b.sigmoid(t)), TO_NHWC), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    const ex = e.input('x', 'float32', [1, 3, 2, 4]);
    e.output(e.mul(ex, e.sigmoid(ex)), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out);
  });

  it('turns a Transpose that only moves size-1 dims into a Reshape', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 1, 1, 8]);
    b.output(b.flatten(b.transpose(x, TO_NCHW)), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    const e = new GraphBuilder('g');
    e.output(e.flatten(e.reshape(e.input('x', 'float32', ['n', 1, 1, 8]), [0, 8, 1, 1])), 'y');
    expectEqualGraphs(out, e.build());
    expectSameOutputs(g, out, { dims: { n: 3 } });
  });

  it('keeps a graph output name: an identity Transpose between input and output becomes Identity', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.transpose(b.transpose(x, [1, 0]), [1, 0]), 'y');
    const g = b.build();
    const out = apply(g, cancelTransposes);
    expect(opsOf(out)).toEqual(['Identity']);
    expect(out.outputs.map((o) => o.name)).toEqual(['y']);
    expectSameOutputs(g, out);
  });

  it('returns the same graph without Transposes', () => {
    const b = new GraphBuilder('g');
    b.output(b.relu(b.input('x', 'float32', [2])), 'y');
    const g = b.build();
    expect(apply(g, cancelTransposes)).toBe(g);
  });
});

describe('cancelTransposes (property)', () => {
  const count = (g: { nodes: readonly { op: string }[] }) => g.nodes.filter((n) => n.op === 'Transpose').length;
  const perm4 = fc.constantFrom<number[]>([0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2], [1, 0, 3, 2], [3, 2, 1, 0], [0, 1, 3, 2]);
  type Step = { kind: 'transpose'; perm: number[] } | { kind: 'unary'; op: string } | { kind: 'const'; mask: boolean[]; seed: number } | { kind: 'mix'; back: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    perm4.map((perm) => ({ kind: 'transpose' as const, perm })),
    fc.constantFrom<string>('Relu', 'Neg', 'Sigmoid').map((op) => ({ kind: 'unary' as const, op })),
    fc.record({ mask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), seed: fc.nat(1000) }).map((r) => ({ kind: 'const' as const, ...r })),
    fc.nat(5).map((back) => ({ kind: 'mix' as const, back })),
  );

  it('keeps values and never adds Transposes', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 10 }), (steps) => {
        const b = new GraphBuilder('g');
        const x = b.input('x', 'float32', [2, 3, 1, 4]);
        const vals = [x];
        let v = x;
        for (const s of steps) {
          if (s.kind === 'transpose') v = b.transpose(v, s.perm);
          else if (s.kind === 'unary') v = b.unary(s.op, v);
          else if (s.kind === 'const') {
            const shape = (v.shape as number[]).map((d, i) => (s.mask[i] ? d : 1));
            v = b.add(v, f32(shape, (i) => Math.sin(i + s.seed)));
          } else {
            const other = vals[Math.max(0, vals.length - 1 - s.back)];
            const same = other.shape.every((d, i) => d === v.shape[i]);
            v = same ? b.mul(v, other) : b.relu(v);
          }
          vals.push(v);
        }
        b.output(v, 'y');
        const g = b.build();
        const out = apply(g, cancelTransposes);
        expect(count(out)).toBeLessThanOrEqual(count(g));
        expectSameOutputs(g, out, { rtol: 1e-6, atol: 1e-6 });
      }),
      { numRuns: 60 },
    );
  });
});
