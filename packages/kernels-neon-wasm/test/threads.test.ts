/** Worker threads: the same results as one thread (bitwise) and as the reference. */
import { GraphBuilder } from '@mo/ir';
import { afterAll, describe, expect, it } from 'vitest';
import { createSessionSync, type Session } from '../src/index.js';
import { threadsAvailable } from '../src/runtime/module.js';
import { compareWithReference, randomTensor } from './helpers.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

describe.runIf(threadsAvailable())('threads', () => {
  it('GEMM rows and columns split between threads give the single-thread bits', () => {
    for (const [m, n, k] of [[256, 256, 256], [2, 512, 1024], [97, 40, 300]]) {
      const b = new GraphBuilder('mm');
      const a = b.input('a', 'float32', [m, k]);
      b.output(b.matmul(a, randomTensor([k, n], 1), { activation: 'Relu' }), 'y');
      const g = b.build();
      const feeds = { a: randomTensor([m, k], 2) };
      const mt = compareWithReference(g, feeds, { threads: 2 });
      sessions.push(mt);
      expect(mt.threads).toBe(2);
      const one = createSessionSync(g).runSync(feeds).y.toFloat32();
      expect(Array.from(mt.runSync(feeds).y.toFloat32())).toEqual(Array.from(one));
    }
  });

  it('a CNN (IGEMM, depthwise, pointwise) with 3 threads', () => {
    const b = new GraphBuilder('cnn');
    const x = b.input('x', 'float32', [2, 8, 40, 40]);
    let h = b.conv(x, randomTensor([32, 8, 3, 3], 1), randomTensor([32], 2), { pads: [1, 1, 1, 1], activation: 'Relu' });
    h = b.conv(h, randomTensor([32, 1, 3, 3], 3), undefined, { pads: [1, 1, 1, 1], group: 32, activation: 'Clip', activation_params: [0, 6] });
    h = b.conv(h, randomTensor([48, 32, 1, 1], 4), randomTensor([48], 5), { activation: 'HardSwish' });
    b.output(h, 'y');
    const g = b.build();
    const feeds = { x: randomTensor([2, 8, 40, 40], 6) };
    const mt = compareWithReference(g, feeds, { threads: 3 });
    sessions.push(mt);
    expect(mt.threads).toBe(3);
    const one = createSessionSync(g).runSync(feeds).y.toFloat32();
    expect(Array.from(mt.runSync(feeds).y.toFloat32())).toEqual(Array.from(one));
  });

  it('elementwise Add / Mul / Max split between threads (same shape and broadcast) give the single-thread bits', () => {
    const cases: [number[], number[]][] = [[[1, 24, 56, 56], [1, 24, 56, 56]], [[2, 3, 100, 120], [1, 3, 1, 1]], [[300, 400], [400]], [[1, 1, 1, 40000], [1]]];
    for (const [as, bs] of cases) {
      const b = new GraphBuilder('ew');
      const x = b.input('x', 'float32', as);
      const y = b.input('y', 'float32', bs);
      b.output(b.max(b.mul(b.add(x, y), y), x), 'z');
      const g = b.build();
      const feeds = { x: randomTensor(as, 1), y: randomTensor(bs, 2) };
      const mt = compareWithReference(g, feeds, { threads: 2 });
      sessions.push(mt);
      expect(mt.threads).toBe(2);
      const one = createSessionSync(g).runSync(feeds).z.toFloat32();
      expect(Array.from(mt.runSync(feeds).z.toFloat32())).toEqual(Array.from(one));
    }
  });
});
