/**
 * The autodiff API: trainable parameters, value-and-gradient with watched values, the registry,
 * and typed errors of the tape.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, GraphBuilder, ShapeError, Tensor, UnsupportedOpError, tensor } from '@mo/ir';
import { countParameters, mobilenetV2Mini, mlp, smallCnn } from '@mo/models';
import {
  Rng,
  defineGradient,
  featureMse,
  findGradient,
  mapFloat,
  recordForward,
  registerGradients,
  softmaxCrossEntropy,
  stateParameters,
  trainableParameters,
  valueAndGrad,
} from '../src/index.js';
import { gradCheck, randomTensor, toFloat64 } from './helpers.js';

describe('trainable parameters', () => {
  it('are the learnable parameters of the @mo/models networks', () => {
    for (const g of [mobilenetV2Mini(), smallCnn(), mlp()]) {
      const names = trainableParameters(g);
      const elements = names.reduce((a, n) => a + g.initializers.get(n)!.size, 0);
      expect(elements).toBe(countParameters(g).learnable);
      expect(names.some((n) => n.startsWith('relu6'))).toBe(false);
      expect(names.some((n) => n.endsWith('running_mean') || n.endsWith('running_var'))).toBe(false);
    }
    const g = smallCnn();
    expect(stateParameters(g).every((n) => /running_(mean|var)$/.test(n))).toBe(true);
    expect(trainableParameters(g, { frozen: ['features'] })).toEqual(['classifier.weight', 'classifier.bias']);
  });
});

describe('valueAndGrad', () => {
  it('differentiates a loss over outputs and watched intermediate values (hint loss)', () => {
    const g = toFloat64(mlp({ hiddenSizes: [6], resolution: 4, batch: 3 }));
    const rng = new Rng(1);
    const x = randomTensor(rng, [3, 1, 4, 4]);
    const hint = randomTensor(rng, [3, 6]);
    const labels = tensor('int32', [1, 7, 3]);
    const loss = (v: Readonly<Record<string, Tensor>>) => {
      const ce = softmaxCrossEntropy(v.logits, labels);
      const h = featureMse(v['fc.0.relu'], hint);
      return { value: ce.value + h.value, grads: { logits: ce.grad, 'fc.0.relu': h.grad } };
    };
    const r = valueAndGrad(g, { input: x }, { loss, watch: ['fc.0.relu'] });
    expect([...r.grads.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight', 'fc.0.bias', 'fc.0.weight']);
    // Finite differences of the same loss.
    const w = g.initializers.get('fc.0.weight')!;
    for (const j of [0, 5, 17, 40]) {
      const at = (d: number) => {
        const data = (w.data as Float64Array).slice();
        data[j] += d;
        return valueAndGrad(g.withInitializer('fc.0.weight', new Tensor('float64', w.shape, data)), { input: x }, { loss, watch: ['fc.0.relu'], wrt: [] }).value;
      };
      const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
      expect(r.grads.get('fc.0.weight')!.get(j)).toBeCloseTo(fd, 7);
    }
    expect(() => valueAndGrad(g, { input: x }, { loss: () => ({ value: 0, grads: { nope: x } }) })).toThrow(ArgumentError);
  });

  it('gives gradients with respect to graph inputs (saliency)', () => {
    const g = toFloat64(smallCnn({ channels: [2], resolution: 6, batch: 2 }));
    const res = gradCheck(g, { input: randomTensor(new Rng(2), [2, 1, 6, 6]) }, { wrt: ['input'] });
    expect(res.maxRelErr, res.worst).toBeLessThan(1e-3);
  });
});

describe('errors of the tape', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', [2, 3]);
  const w = b.initializer('w', tensor('float32', [[1, 2, 3], [4, 5, 6]]));
  const y = b.unary('Sin', b.mul(x, w));
  b.output(b.add(y, b.initializer('c', tensor('float32', [1, 1, 1]))), 'y');
  b.output(b.argMax(y, 1), 'argmax');
  const g = b.build();
  const feeds = { x: tensor('float32', [[1, 2, 3], [4, 5, 6]]) };
  const ones = new Tensor('float32', [2, 3], new Float32Array(6).fill(1));

  it('an op without a gradient rule on the path: UnsupportedOpError naming node and op', () => {
    expect(findGradient('Sin')).toBeUndefined();
    const tape = recordForward(g, feeds);
    let err: unknown;
    try {
      tape.backward({ y: ones }, ['w']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).op).toBe('Sin');
    expect((err as UnsupportedOpError).node).toBe('sin');
    // Off the path it does not matter (ArgMax has no rule and no gradient flows through it).
    expect(tape.backward({ y: ones }, ['c']).get('c')!.toNumbers()).toEqual([2, 2, 2]);
  });

  it('bad wrt, seeds and feeds', () => {
    const tape = recordForward(g, feeds);
    expect(() => tape.backward({ y: ones }, ['nope'])).toThrow(ArgumentError);
    expect(() => tape.backward({ y: ones }, ['argmax'])).toThrow(DTypeError);
    expect(() => tape.backward({ y: tensor('float32', [1, 2]) }, ['c'])).toThrow(ShapeError);
    expect(() => tape.backward({ z: ones }, ['c'])).toThrow(ArgumentError);
    expect(() => recordForward(g, {})).toThrow(/missing feed for input 'x'/);
    expect(() => recordForward(g, { x: tensor('float64', [[1, 2, 3], [4, 5, 6]]) })).toThrow(DTypeError);
    expect(() => recordForward(g, feeds, { params: new Map([['w', tensor('float32', [1])]]) })).toThrow(ShapeError);
    expect(() => recordForward(g, feeds, { params: new Map([['x', ones]]) })).toThrow(ArgumentError);
  });

  it('rules are registered once; a new rule extends the table', () => {
    expect(() => registerGradients([findGradient('Relu')!])).toThrow(ArgumentError);
    expect(() => defineGradient({ op: 'NoSuchOp', grad: () => [] })).toThrow(UnsupportedOpError);
    registerGradients([
      defineGradient({
        op: 'Sin',
        grad: (ctx) => {
          const x = ctx.inputs[0]!.toNumbers();
          return [mapFloat(ctx.gradOutputs[0]!, (gv, i) => gv * Math.cos(x[i]))];
        },
      }),
    ]);
    const g64 = toFloat64(g);
    const res = gradCheck(g64, { x: randomTensor(new Rng(3), [2, 3]) }, { wrt: ['x', 'w'], outputs: ['y'] });
    expect(res.maxRelErr, res.worst).toBeLessThan(1e-6);
  });
});
