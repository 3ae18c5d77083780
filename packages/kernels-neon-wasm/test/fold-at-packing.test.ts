/**
 * BatchNormalization folded while packing (the session's default `fuse`): the packed weights, and
 * so the outputs, equal to the bit those of the graph folded by @mo/ir `foldBatchNorm` (a copy of
 * the weights), and the planning graph holds the caller's weight tensors, not copies.
 */
import { GraphBuilder, foldBatchNorm, fuseActivation, runPasses, type Graph, type Value } from '@mo/ir';
import { mobilenetV2Mini } from '@mo/models';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNELS, KernelRegistry, createSessionSync } from '../src/index.js';
import { planningGraph } from '../src/session/fold-at-packing.js';
import { compareWithReference, randomTensor } from './helpers.js';

function convBnNet(): Graph {
  const b = new GraphBuilder('conv-bn-net');
  const x = b.input('x', 'float32', [2, 8, 12, 12]);
  const bn = (h: Value, c: number, seed: number) => b.batchNorm(h, randomTensor([c], seed, 0.5, 1.5), randomTensor([c], seed + 1), randomTensor([c], seed + 2), randomTensor([c], seed + 3, 0.5, 2));
  let h = b.clip(bn(b.conv(x, randomTensor([16, 8, 3, 3], 1), undefined, { pads: [1, 1, 1, 1], strides: [2, 2] }), 16, 10), 0, 6); // no bias
  h = b.relu(bn(b.conv(h, randomTensor([16, 1, 3, 3], 2), randomTensor([16], 3), { pads: [1, 1, 1, 1], group: 16 }), 16, 20)); // depthwise, bias
  h = bn(b.conv(h, randomTensor([12, 4, 1, 1], 4), undefined, { group: 4 }), 12, 30); // grouped 1x1
  h = b.conv(h, randomTensor([10, 12, 1, 1], 5), randomTensor([10], 6)); // no BatchNormalization after
  b.output(h, 'y');
  return b.build();
}

const bits = (g: Graph, feeds: Record<string, ReturnType<typeof randomTensor>>, opts = {}) => Array.from(createSessionSync(g, opts).runSync(feeds)[g.outputs[0].name].toFloat32());

describe('BatchNormalization folded while packing', () => {
  it('gives the bits of the graph folded by foldBatchNorm (plain, depthwise, grouped convolutions)', () => {
    const g = convBnNet();
    const feeds = { x: randomTensor([2, 8, 12, 12], 7) };
    const s = compareWithReference(g, feeds);
    expect(s.graph.nodes.map((n) => n.op)).toEqual(['Conv', 'Conv', 'Conv', 'Conv']);
    const folded = runPasses(g, [foldBatchNorm, fuseActivation]);
    expect(bits(g, feeds)).toEqual(bits(folded, feeds, { fuse: false }));
  });

  it('a MobileNetV2 gives the bits of its foldBatchNorm graph', () => {
    const g = mobilenetV2Mini({ seed: 3, widthMultiplier: 0.5 });
    const feeds = { [g.inputs[0].name]: randomTensor(g.inputs[0].type.shape.map((d) => (typeof d === 'number' ? d : 1)), 8) };
    const folded = runPasses(g, [foldBatchNorm, fuseActivation]);
    expect(bits(g, feeds)).toEqual(bits(folded, feeds, { fuse: false }));
  });

  it("plans with the caller's weight tensors (no folded copies) and the factors per node", () => {
    const g = convBnNet();
    const { graph, packScales } = planningGraph(g);
    const callers = new Set(g.initializers.values());
    for (const n of graph.nodes) expect(callers.has(graph.initializers.get(n.inputs[1])!)).toBe(true);
    expect([...packScales.values()].map((f) => f.length)).toEqual([16, 16, 12]);
    expect(graph.nodes.some((n) => n.op === 'BatchNormalization')).toBe(false);
  });

  it('a Conv that falls back runs with folded weights', () => {
    const registry = new KernelRegistry();
    for (const k of DEFAULT_KERNELS) if (k.op !== 'Conv') registry.register(k);
    const g = convBnNet();
    const s = compareWithReference(g, { x: randomTensor([2, 8, 12, 12], 9) }, { registry, allowFallback: ['Conv'] });
    expect(s.fallbackOps.map((f) => f.op)).toEqual(['Conv', 'Conv', 'Conv', 'Conv']);
  });
});
