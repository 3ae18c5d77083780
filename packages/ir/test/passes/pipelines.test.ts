import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor, verify } from '../../src/index.js';
import { defaultPipeline, optimize, timingInstrument, verifyInstrument } from '../../src/passes/index.js';
import { randomValues } from '../helpers.js';
import { expectEqualGraphs, expectSameOutputs, f32, opsOf } from './pass-helpers.js';

const C = 4;
const W = f32([C, 3, 3, 3], (i) => Math.sin(i) * 0.3);
const bn = (k: number) => tensor('float32', randomValues(C, k, 0.5, 1.5), [C]);

/** An exported-looking model: Identity, Dropout, a Shape chain, Conv+BN+Relu6, Flatten via Reshape. */
function exported() {
  const b = new GraphBuilder('exported');
  const x = b.input('x', 'float32', [2, 3, 6, 6]);
  const conv = b.conv(b.identity(x), W, undefined, { pads: [1, 1, 1, 1] });
  const h = b.clip(b.batchNorm(conv, bn(1), bn(2), bn(3), bn(4)), 0, 6);
  const dim0 = b.unsqueeze(b.gather(b.shape(h), 0), [0]);
  const flat = b.reshape(b.dropout(h), b.concat([dim0, b.ints([-1])], 0));
  const scale = b.mul(b.constant(f32([1], () => 2)), b.constant(f32([1], () => 0.25)));
  b.output(b.mul(flat, scale), 'y');
  return b.build();
}

describe('defaultPipeline / optimize', () => {
  it('lists its stages in order', () => {
    expect(defaultPipeline.map((p) => p.name)).toEqual(['remove-identity', 'fold-constants', 'simplify-shapes', 'fold-batchnorm', 'fuse-activation', 'eliminate-dead-code']);
  });

  it('cleans up an exported graph and keeps its outputs', () => {
    const g = exported();
    const nodesBefore = [...g.nodes];
    const times: string[] = [];
    const logs: string[] = [];
    const out = optimize(g, { instruments: [verifyInstrument(verify), timingInstrument((p) => times.push(p))], onLog: (p, m) => logs.push(`${p}: ${m}`) });
    expect(g.nodes).toEqual(nodesBefore);
    expect(opsOf(out)).toEqual(['Conv', 'Reshape', 'Mul']);
    const conv = out.nodes.find((n) => n.op === 'Conv')!;
    expect(conv.attrs.activation).toBe('Clip');
    expect(conv.attrs.activation_params).toEqual([0, 6]);
    const reshape = out.nodes.find((n) => n.op === 'Reshape')!;
    expect(out.initializers.get(reshape.inputs[1])?.toNumbers()).toEqual([2, -1]);
    expect(times).toEqual(defaultPipeline.map((p) => p.name));
    expect(logs.some((l) => l.startsWith('fold-batchnorm: folded 1'))).toBe(true);
    expectSameOutputs(g, out, { rtol: 1e-5, atol: 1e-5 });
    // A second run has nothing left to do.
    expect(optimize(out)).toBe(out);
  });

  it('disable skips stages by name', () => {
    const g = exported();
    const out = optimize(g, { disable: ['fuse-activation', 'fold-batchnorm'] });
    expect(opsOf(out)).toEqual(['Conv', 'BatchNormalization', 'Clip', 'Reshape', 'Mul']);
    expectSameOutputs(g, out);
  });

  it('runs a custom pass list', () => {
    const g = exported();
    const out = optimize(g, { passes: [defaultPipeline[0]] });
    expect(opsOf(out)).not.toContain('Identity');
    expect(opsOf(out)).not.toContain('Dropout');
    expect(opsOf(out)).toContain('Shape');
  });

  it('returns the same graph for an already optimal graph', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['n', 3, 6, 6]);
    b.output(b.conv(x, W, undefined, { activation: 'Relu' }), 'y');
    const g = b.build();
    const out = optimize(g);
    expect(out).toBe(g);
    const e = new GraphBuilder('g');
    e.output(e.conv(e.input('x', 'float32', ['n', 3, 6, 6]), W, undefined, { activation: 'Relu' }), 'y');
    expectEqualGraphs(out, e.build());
  });
});
