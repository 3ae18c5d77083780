import { describe, expect, it } from 'vitest';
import { GraphBuilder, formatGraph, graphStats, zeros } from '../../src/index.js';

function cnn(batch: number | string) {
  const b = new GraphBuilder('cnn');
  const x = b.input('x', 'float32', [batch, 3, 8, 8]);
  let h = b.conv(x, zeros('float32', [4, 3, 3, 3]), zeros('float32', [4]), { pads: [1, 1, 1, 1] });
  h = b.flatten(b.globalAveragePool(b.relu(h)), 1);
  b.output(b.gemm(h, zeros('float32', [2, 4]), zeros('float32', [2]), { transB: 1 }), 'y');
  return b.build();
}

describe('summary', () => {
  it('counts ops, parameters, bytes and MACs', () => {
    const s = graphStats(cnn(1));
    expect(s.opCounts).toEqual([['Conv', 1], ['Flatten', 1], ['Gemm', 1], ['GlobalAveragePool', 1], ['Relu', 1]]);
    expect(s.parameters).toBe(108 + 4 + 8 + 2);
    expect(s.parameterBytes).toBe(4 * 122);
    // Conv: 8*8 outputs x 4 channels x 27 taps; Gemm: 2 x 4.
    expect(s.macs).toBe(64 * 4 * 27 + 8);
    expect(cnn(1).summary()).toMatch(/MACs: +6\.92 K \(6920\)/);
  });
  it('counts MACs per item when the batch is symbolic, and binds dims on request', () => {
    const s = graphStats(cnn('N'));
    expect(s.macs).toBe(64 * 4 * 27 + 8);
    expect(s.assumedDims).toEqual({ N: 1 });
    expect(graphStats(cnn('N'), { N: 3 }).macs).toBe(3 * (64 * 4 * 27 + 8));
    expect(cnn('N').summary()).toMatch(/MACs: +6\.92 K \(6920\) with N=1/);
  });
  it('dumps one node per line with types', () => {
    const text = formatGraph(cnn(1));
    expect(text).toMatch(/= Conv\(x, const, const_1\) \{pads=\[1,1,1,1\]\}/);
    expect(text).toMatch(/y: float32\[1,2\] = Gemm/);
  });
});
