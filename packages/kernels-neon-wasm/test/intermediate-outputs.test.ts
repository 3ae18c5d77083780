/**
 * Intermediate values as graph outputs (what @mo/quantize's calibration asks an engine for): every
 * NCHW output stored channels-last gets a conversion step after the last node, and each converted
 * output must stay alive until all of those steps ran. With three or more such outputs the arena
 * once let a later conversion overwrite an earlier one's result.
 */
import { fromFunction, inferTypes, optimize, run } from '@mo/ir';
import { mobilenetV2 } from '@mo/models';
import { expect, it } from 'vitest';
import { createSessionSync } from '../src/index.js';

it('returns every intermediate value of a MobileNetV2 at once, equal to the reference', () => {
  const graph = optimize(mobilenetV2({ seed: 3, widthMultiplier: 0.35, resolution: 32, batch: 1 }));
  const types = inferTypes(graph).types;
  const names = graph.nodes.flatMap((n) => n.outputs);
  const all = graph.with({ outputs: names.map((name) => ({ name, type: types.get(name)! })) });
  const feeds = { input: fromFunction('float32', [1, 3, 32, 32], (i) => Math.sin(i * 0.01)) };
  const expected = run(all, feeds);
  const session = createSessionSync(all);
  const actual = session.runSync(feeds);
  const wrong = names.filter((name) => {
    const a = expected[name].toFloat32();
    const b = actual[name].toFloat32();
    let err = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    return err > 1e-4 * (scale + 1e-6);
  });
  session.dispose();
  expect(names.length).toBeGreaterThan(50);
  expect(wrong).toEqual([]);
});
