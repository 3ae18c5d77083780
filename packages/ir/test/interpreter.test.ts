import { describe, expect, it } from 'vitest';
import { AbortError, ArgumentError, DTypeError, Graph, GraphBuilder, ShapeError, UnsupportedOpError, run, tensor } from '../src/index.js';

function addGraph() {
  const b = new GraphBuilder('add');
  const x = b.input('x', 'float32', ['N', 2]);
  const y = b.input('y', 'float32', ['N', 2]);
  const s = b.add(x, y);
  b.output(b.relu(s), 'out');
  return { g: b.build(), sum: s.name };
}

describe('run', () => {
  it('executes and can return intermediate values', () => {
    const { g, sum } = addGraph();
    const out = run(g, { x: tensor('float32', [[1, -5]]), y: tensor('float32', [[2, 1]]) }, { outputs: ['out', sum] });
    expect(out.out.toNumbers()).toEqual([3, 0]);
    expect(out[sum].toNumbers()).toEqual([3, -4]);
  });

  it('calls the per-node hook in order', () => {
    const { g } = addGraph();
    const seen: string[] = [];
    run(g, { x: tensor('float32', [[1, 1]]), y: tensor('float32', [[1, 1]]) }, { onNode: (n) => seen.push(n.op) });
    expect(seen).toEqual(['Add', 'Relu']);
  });

  it('never mutates its feeds', () => {
    const { g } = addGraph();
    const x = tensor('float32', [[1, -5]]);
    const copy = x.toNumbers();
    run(g, { x, y: tensor('float32', [[2, 1]]) });
    expect(x.toNumbers()).toEqual(copy);
  });

  it('rejects bad feeds with typed errors', () => {
    const { g } = addGraph();
    const ok = tensor('float32', [[1, 1]]);
    expect(() => run(g, { x: ok })).toThrow(/missing feed for input 'y'/);
    expect(() => run(g, { x: ok, y: ok, z: ok })).toThrow(ArgumentError);
    expect(() => run(g, { x: tensor('int32', [[1, 1]]), y: ok })).toThrow(DTypeError);
    expect(() => run(g, { x: tensor('float32', [1, 1]), y: ok })).toThrow(ShapeError);
    expect(() => run(g, { x: tensor('float32', [[1, 1], [2, 2]]), y: ok })).toThrow(/binds dimension 'N'/);
    expect(() => run(g, { x: ok, y: ok }, { outputs: ['nope'] })).toThrow(/does not exist/);
  });

  it('stops on an aborted signal', () => {
    const { g } = addGraph();
    const ac = new AbortController();
    ac.abort();
    expect(() => run(g, { x: tensor('float32', [[1, 1]]), y: tensor('float32', [[1, 1]]) }, { signal: ac.signal })).toThrow(AbortError);
  });

  it('throws UnsupportedOpError naming op and node for an unknown op', () => {
    const g = Graph.create({
      inputs: [{ name: 'x', type: { dtype: 'float32', shape: [1] } }],
      outputs: [{ name: 'y', type: { dtype: 'float32', shape: [1] } }],
      nodes: [{ name: 'weird', op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
    });
    try {
      run(g, { x: tensor('float32', [1]) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedOpError);
      expect((e as UnsupportedOpError).op).toBe('NoSuchOp');
      expect((e as UnsupportedOpError).node).toBe('weird');
    }
  });
});
