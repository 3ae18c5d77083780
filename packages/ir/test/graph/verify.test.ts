import { describe, expect, it } from 'vitest';
import { Graph, GraphVerifyError, VerifyError, findProblems, tensor, verify } from '../../src/index.js';

const f32 = (shape: (number | string)[]) => ({ dtype: 'float32' as const, shape });

function expectProblem(g: Graph, pattern: RegExp, node?: string) {
  let err: unknown;
  try {
    verify(g);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VerifyError);
  const problems = (err as GraphVerifyError).problems;
  const hit = problems.find((p) => pattern.test(p.message));
  expect(hit, `problems: ${problems.map((p) => p.message).join(' | ')}`).toBeDefined();
  if (node) expect(hit!.node).toBe(node);
  return problems;
}

describe('verify', () => {
  it('accepts a valid graph', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32(['N', 3]) }],
      outputs: [{ name: 'y', type: f32(['N', 3]) }],
      nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expect(verify(g)).toBe(g);
    expect(findProblems(g)).toEqual([]);
  });

  it('names the node that reads a dangling value', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'y', type: f32([3]) }],
      nodes: [{ name: 'add', op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'] }],
    });
    expectProblem(g, /input 'ghost' is not defined/, 'add');
  });

  it('names the node with an unknown op', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'y', type: f32([3]) }],
      nodes: [{ name: 'mystery', op: 'FrobnicateV2', inputs: ['x'], outputs: ['y'] }],
    });
    const problems = expectProblem(g, /unknown op 'FrobnicateV2'/, 'mystery');
    expect(problems[0].op).toBe('FrobnicateV2');
  });

  it('reports a cycle', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'b', type: f32([3]) }],
      nodes: [
        { name: 'p', op: 'Add', inputs: ['x', 'b'], outputs: ['a'] },
        { name: 'q', op: 'Relu', inputs: ['a'], outputs: ['b'] },
      ],
    });
    expectProblem(g, /cycle/);
  });

  it('reports values defined twice, duplicate node names and missing outputs together', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'y', type: f32([3]) }, { name: 'z', type: f32([3]) }],
      nodes: [
        { name: 'n', op: 'Relu', inputs: ['x'], outputs: ['y'] },
        { name: 'n', op: 'Neg', inputs: ['x'], outputs: ['y'] },
      ],
    });
    const problems = expectProblem(g, /defined twice/);
    expect(problems.some((p) => /duplicate node name 'n'/.test(p.message))).toBe(true);
    expect(problems.some((p) => /graph output 'z' is not produced/.test(p.message))).toBe(true);
  });

  it('names the node, op, dtype and shape on a wrong rank', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([1, 3]) }],
      outputs: [{ name: 'y', type: f32([1, 3]) }],
      initializers: { w: tensor('float32', new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3]) },
      nodes: [{ name: 'conv1', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    const problems = expectProblem(g, /rank|dims/i, 'conv1');
    expect(problems[0].op).toBe('Conv');
  });

  it('reports dtype mismatches with the offending dtype and shape', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }, { name: 'i', type: { dtype: 'int64', shape: [3] } }],
      outputs: [{ name: 'y', type: f32([3]) }],
      nodes: [{ name: 'add', op: 'Add', inputs: ['x', 'i'], outputs: ['y'] }],
    });
    expectProblem(g, /int64/, 'add');
  });

  it('reports unknown and invalid attributes', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'y', type: f32([3]) }],
      nodes: [{ name: 'lr', op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpah: 0.1 } }],
    });
    expectProblem(g, /unknown attribute 'alpah'.*alpha/, 'lr');
  });

  it('reports declared output types that disagree with inference', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: f32([3]) }],
      outputs: [{ name: 'y', type: f32([4]) }],
      nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expectProblem(g, /declared float32\[4\] but computes float32\[3\]/, 'r');
  });
});
