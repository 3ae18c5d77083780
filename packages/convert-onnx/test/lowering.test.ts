/**
 * Import lowerings of ONNX ops without an IR op, checked against ONNX Runtime running the
 * original ONNX node (an independent implementation): unrolled RNN/GRU/LSTM in the variants the
 * conformance suite does not cover (bidirectional, reverse, clip, short sequence lengths,
 * linear_before_reset, peepholes, custom activations).
 */
import { describe, expect, it } from 'vitest';
import { run, tensor, type Tensor } from '@mo/ir';
import { parseOnnx } from '../src/index.js';
import { makeModel, maxRelDiff, valueInfo, type NodeIn } from './helpers.js';
import { randomTensor, runOrt } from './ort.js';

const f32 = (name: string, shape: number[]) => valueInfo(name, 'float32', shape);

interface RnnCase {
  op: 'RNN' | 'GRU' | 'LSTM';
  attrs: NodeIn['attrs'];
  seqLens?: number[];
  bias?: boolean;
  initial?: boolean;
  peepholes?: boolean;
  layout?: number;
}

async function checkRnn(c: RnnCase): Promise<number> {
  const [seq, batch, input, hidden] = [4, 3, 5, 6];
  const gates = { RNN: 1, GRU: 3, LSTM: 4 }[c.op];
  const dirs = c.attrs?.direction === 'bidirectional' ? 2 : 1;
  const layout = c.layout ?? 0;
  const xShape = layout ? [batch, seq, input] : [seq, batch, input];
  const stateShape = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
  const feeds: Record<string, Tensor> = {
    X: randomTensor(xShape, 1),
    W: randomTensor([dirs, gates * hidden, input], 2, -0.5, 0.5),
    R: randomTensor([dirs, gates * hidden, hidden], 3, -0.5, 0.5),
  };
  const inputs = ['X', 'W', 'R', '', '', '', '', ''];
  if (c.bias) { feeds.B = randomTensor([dirs, 2 * gates * hidden], 4, -0.3, 0.3); inputs[3] = 'B'; }
  if (c.seqLens) { feeds.L = tensor('int32', c.seqLens); inputs[4] = 'L'; }
  if (c.initial) {
    feeds.H0 = randomTensor(stateShape, 5);
    inputs[5] = 'H0';
    if (c.op === 'LSTM') { feeds.C0 = randomTensor(stateShape, 6); inputs[6] = 'C0'; }
  }
  if (c.peepholes) { feeds.P = randomTensor([dirs, 3 * hidden], 7, -0.5, 0.5); inputs[7] = 'P'; }
  while (!inputs[inputs.length - 1]) inputs.pop();
  const outputs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const yShape = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
  const bytes = makeModel({
    opset: 14,
    nodes: [{ op: c.op, inputs, outputs, attrs: { hidden_size: hidden, ...(layout ? { layout } : {}), ...c.attrs } }],
    inputs: Object.entries(feeds).map(([k, t]) => (k === 'L' ? valueInfo(k, 'int32', [batch]) : f32(k, [...t.shape]))),
    outputs: [f32('Y', yShape), f32('Y_h', stateShape), ...(c.op === 'LSTM' ? [f32('Y_c', stateShape)] : [])],
  });
  const expected = await runOrt(bytes, feeds);
  const actual = run(parseOnnx(bytes), feeds);
  return Math.max(...outputs.map((o) => maxRelDiff(actual[o], expected[o])));
}

describe('unrolled recurrent ops match ONNX Runtime', () => {
  const cases: [string, RnnCase][] = [
    ['RNN bidirectional with bias and initial state', { op: 'RNN', attrs: { direction: 'bidirectional' }, bias: true, initial: true }],
    ['RNN reverse, Relu, short sequences', { op: 'RNN', attrs: { direction: 'reverse', activations: ['Relu'] }, seqLens: [4, 2, 1] }],
    ['GRU bidirectional, linear_before_reset, bias', { op: 'GRU', attrs: { direction: 'bidirectional', linear_before_reset: 1 }, bias: true, initial: true }],
    ['GRU forward, clip, short sequences', { op: 'GRU', attrs: { clip: { float: 0.7 } }, bias: true, seqLens: [3, 4, 1] }],
    ['LSTM bidirectional with peepholes, bias, initial states', { op: 'LSTM', attrs: { direction: 'bidirectional' }, bias: true, initial: true, peepholes: true }],
    ['LSTM reverse, short sequences, HardSigmoid gates', { op: 'LSTM', attrs: { direction: 'reverse', activations: ['HardSigmoid', 'Tanh', 'Tanh'], activation_alpha: { floats: [0.3] }, activation_beta: { floats: [0.4] } }, bias: true, seqLens: [2, 4, 3] }],
    ['LSTM with clip and initial states (batch-major layout is covered by the conformance suite; ONNX Runtime lacks it)', { op: 'LSTM', attrs: { clip: { float: 1.5 } }, initial: true }],
  ];
  it.each(cases)('%s', async (_name, c) => {
    expect(await checkRnn(c)).toBeLessThan(1e-4);
  });
});

describe('lowering helpers on constant weights', () => {
  it('are folded into initializers at import (LSTM with initializer weights)', async () => {
    const [seq, batch, input, hidden] = [3, 2, 4, 5];
    const W = randomTensor([1, 4 * hidden, input], 11, -0.5, 0.5);
    const R = randomTensor([1, 4 * hidden, hidden], 12, -0.5, 0.5);
    const init = (name: string, t: Tensor) => ({ name, dims: [...t.shape], dataType: 1, floatData: t.toNumbers() });
    const bytes = makeModel({
      opset: 14,
      nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R'], outputs: ['', 'Y_h'], attrs: { hidden_size: hidden } }],
      inputs: [f32('X', [seq, batch, input])],
      outputs: [f32('Y_h', [1, batch, hidden])],
      initializers: [init('W', W), init('R', R)],
    });
    const g = parseOnnx(bytes);
    expect(g.nodes.some((n) => n.inputs.includes('W') || n.inputs.includes('R'))).toBe(false);
    expect(g.nodes.some((n) => n.op === 'Transpose')).toBe(false);
    const X = randomTensor([seq, batch, input], 13);
    const expected = await runOrt(bytes, { X });
    expect(maxRelDiff(run(g, { X }).Y_h, expected.Y_h)).toBeLessThan(1e-4);
  });
});
