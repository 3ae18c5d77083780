import { describe, expect, it } from 'vitest';
import { run, type Graph } from '@mo/ir';
import { smallCnn } from '@mo/models';
import { quantize, type Engine } from '../src/index.js';
import { randomSamples } from './helpers.js';

const cnn = smallCnn({ channels: [4, 8], seed: 7 });
const calibration = randomSamples([2, 1, 28, 28], 3, 40);

describe('a pluggable engine', () => {
  it('calibrates from graph outputs alone: an engine that runs the reference interpreter gives the very same graph and report', async () => {
    const seen: Graph[] = [];
    const engine: Engine = (graph) => {
      seen.push(graph);
      return { run: (feeds) => run(graph, feeds) };
    };
    for (const method of ['minmax', 'auto'] as const) {
      const a = await quantize(cnn, { preset: 'int8-static', calibration, method, biasCorrection: true });
      const b = await quantize(cnn, { preset: 'int8-static', calibration, method, biasCorrection: true, engine });
      expect(b.graph.nodes).toEqual(a.graph.nodes);
      expect([...b.graph.initializers].map(([k, t]) => [k, Array.from(t.data as ArrayLike<number>)])).toEqual([...a.graph.initializers].map(([k, t]) => [k, Array.from(t.data as ArrayLike<number>)]));
      expect(b.report.outputs).toEqual(a.report.outputs);
      expect(b.report.layers.map((l) => l.outputSqnrDb)).toEqual(a.report.layers.map((l) => l.outputSqnrDb));
    }
    // Intermediate values were asked for as graph outputs.
    expect(seen.some((g) => g.outputs.length > 1)).toBe(true);
  });
});
