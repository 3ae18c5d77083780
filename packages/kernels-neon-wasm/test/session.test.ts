/** The session API: fallback reports, planning and memory reuse, options and errors. */
import { ArgumentError, DTypeError, GraphBuilder, ShapeError, tensor } from '@mo/ir';
import { describe, expect, it } from 'vitest';
import { createRegistry, createSession, createSessionSync, hardwareConfig, KernelRegistry, DEFAULT_KERNELS } from '../src/index.js';
import { compareWithReference, randomTensor } from './helpers.js';

describe('createSession', () => {
  it('runs asynchronously (README example)', async () => {
    const b = new GraphBuilder('mlp');
    const x = b.input('x', 'float32', [1, 4]);
    b.output(b.gemm(x, tensor('float32', new Float32Array(32).fill(0.5), [4, 8]), undefined, { activation: 'Relu' }), 'y');
    const session = await createSession(b.build());
    const { y } = await session.run({ x: tensor('float32', [[1, -2, 3, -4]]) });
    expect(Array.from(y.toFloat32())).toEqual(new Array(8).fill(0));
    const { y: y2 } = await session.run({ x: tensor('float32', [[1, 2, 3, 4]]) });
    expect(Array.from(y2.toFloat32())).toEqual(new Array(8).fill(5));
  });

  it('reports ops without a fast kernel and runs them on the reference interpreter', () => {
    const b = new GraphBuilder('fallback');
    const x = b.input('x', 'float32', [2, 6]);
    const e = b.erf(b.relu(x)); // Erf has no wasm kernel
    const m = b.reduceMax(e, [1], true); // nor ReduceMax
    b.output(b.sub(e, m), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([2, 6], 1) }, { allowFallback: ['Erf', 'ReduceMax'] });
    expect(s.fallbackOps.map((f) => f.op).sort()).toEqual(['Erf', 'ReduceMax']);
    for (const f of s.fallbackOps) expect(f.reason).toMatch(/no fast kernel/);
    expect(s.kernels.find((k) => k.op === 'Relu')?.kernel).toBe('wasm/Relu');
  });

  it('non-float32 values flow through fallback ops and stay in JavaScript', () => {
    const b = new GraphBuilder('ints');
    const x = b.input('x', 'float32', [3, 4]);
    const s = b.shape(x);
    const r = b.reshape(b.relu(x), s);
    const am = b.argMax(r, 1);
    b.output(am, 'idx');
    b.output(b.sigmoid(r), 'y');
    compareWithReference(b.build(), { x: randomTensor([3, 4], 2) }, { allowFallback: ['ArgMax'] });
  });

  it('plans once per input shape and keeps the most recent plans', () => {
    const b = new GraphBuilder('dyn');
    const x = b.input('x', 'float32', ['n', 8]);
    b.output(b.tanh(b.matmul(x, randomTensor([8, 3], 1))), 'y');
    const s = createSessionSync(b.build(), { maxPlans: 2 });
    expect(s.stats.plansBuilt).toBe(0); // symbolic: planned on first run
    s.runSync({ x: randomTensor([2, 8], 2) });
    s.runSync({ x: randomTensor([2, 8], 3) });
    expect(s.stats.plansBuilt).toBe(1);
    s.runSync({ x: randomTensor([5, 8], 4) });
    s.runSync({ x: randomTensor([2, 8], 5) });
    expect(s.stats.plansBuilt).toBe(2);
    s.runSync({ x: randomTensor([9, 8], 6) }); // evicts n=5
    s.runSync({ x: randomTensor([5, 8], 7) });
    expect(s.stats.plansBuilt).toBe(4);
  });

  it('reuses arena memory between values whose lifetimes do not overlap', () => {
    const b = new GraphBuilder('chain');
    let h = b.input('x', 'float32', [64, 64]);
    for (let i = 0; i < 10; i++) h = b.relu(b.add(h, randomTensor([64], i)));
    b.output(h, 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([64, 64], 1) });
    const valueBytes = 64 * 64 * 4;
    // 20 intermediate values + input + output, but at most three are alive at once
    expect(s.stats.arenaBytes).toBeLessThanOrEqual(3 * (valueBytes + 128));
  });

  it('weights are packed once per session, not per plan', () => {
    const b = new GraphBuilder('packed');
    const x = b.input('x', 'float32', ['n', 16]);
    b.output(b.gemm(x, randomTensor([16, 16], 1)), 'y');
    const s = createSessionSync(b.build());
    s.runSync({ x: randomTensor([3, 16], 2) });
    const heapAfterFirst = s.stats.heapBytes;
    s.runSync({ x: randomTensor([4, 16], 3) });
    s.runSync({ x: randomTensor([3, 16], 4) });
    // the second plan adds an arena, not a second copy of the packed weights
    expect(s.stats.heapBytes - heapAfterFirst).toBeLessThan(16 * 16 * 4);
  });

  it('drops the fused graph once planned and prepares it again for a new plan (same results)', () => {
    const b = new GraphBuilder('conv-bn');
    const x = b.input('x', 'float32', ['n', 16, 4, 4]);
    const h = b.conv(x, randomTensor([32, 16, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
    const bn = b.batchNorm(h, randomTensor([32], 2, 0.5, 1.5), randomTensor([32], 3), randomTensor([32], 4), randomTensor([32], 5, 0.5, 2));
    b.output(b.relu(bn), 'y');
    const g = b.build();
    const s = compareWithReference(g, { x: randomTensor([1, 16, 4, 4], 6) });
    expect(s.graph.nodes.map((n) => n.op)).toEqual(['Conv']); // BatchNormalization folded, Relu fused
    const heap = s.stats.heapBytes;
    // a second shape: a new plan from the prepared graph made again; weights not packed again
    const y2 = s.runSync({ x: randomTensor([2, 16, 4, 4], 7) }).y;
    expect(s.stats.plansBuilt).toBe(2);
    expect(s.stats.heapBytes - heap).toBeLessThan(32 * 16 * 9 * 4) // less than one more copy of the packed weights;
    const again = compareWithReference(g, { x: randomTensor([2, 16, 4, 4], 7) });
    expect(Array.from(y2.toFloat32())).toEqual(Array.from(again.runSync({ x: randomTensor([2, 16, 4, 4], 7) }).y.toFloat32()));
  });

  it("backend 'reference' runs every node on the interpreter", () => {
    const b = new GraphBuilder('ref');
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.relu(b.matmul(x, randomTensor([3, 2], 1))), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([2, 3], 2) }, { backend: 'reference', allowFallback: ['MatMul', 'Relu'] });
    expect(s.fallbackOps.map((f) => f.reason)).toEqual(["backend 'reference'", "backend 'reference'"]);
  });

  it('checks options and feeds with typed errors', () => {
    const b = new GraphBuilder('errs');
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.relu(x), 'y');
    const g = b.build();
    expect(() => createSessionSync(g, { backend: 'gpu' as never })).toThrow(ArgumentError);
    expect(() => createSessionSync(g, { threads: 0 })).toThrow(ArgumentError);
    const s = createSessionSync(g);
    expect(() => s.runSync({})).toThrow(/missing feed for input 'x'/);
    expect(() => s.runSync({ x: randomTensor([3, 2], 1) })).toThrow(ShapeError);
    expect(() => s.runSync({ x: tensor('int32', [[1, 2, 3], [4, 5, 6]]) })).toThrow(DTypeError);
    expect(() => s.runSync({ x: randomTensor([2, 3], 1), z: randomTensor([1], 1) })).toThrow(/not an input/);
    const ctl = new AbortController();
    ctl.abort();
    expect(() => s.runSync({ x: randomTensor([2, 3], 1) }, { signal: ctl.signal })).toThrow(/aborted/);
    s.dispose();
    expect(() => s.runSync({ x: randomTensor([2, 3], 1) })).toThrow(/disposed/);
  });
});

describe('kernel registry', () => {
  it('registering a kernel name twice throws', () => {
    const r = new KernelRegistry();
    r.register(DEFAULT_KERNELS[0]);
    expect(() => r.register(DEFAULT_KERNELS[0])).toThrow(/registered twice/);
  });

  it('resolves by priority: a higher-priority kernel that declines falls through to the next', () => {
    const r = createRegistry();
    const seen: string[] = [];
    r.register({ name: 'test/Relu', op: 'Relu', priority: 100, plan: () => (seen.push('test'), 'declined for the test') });
    expect(r.kernelsFor('Relu').map((k) => k.name)).toEqual(['test/Relu', 'wasm/Relu']);
    const b = new GraphBuilder('prio');
    const x = b.input('x', 'float32', [4]);
    b.output(b.relu(x), 'y');
    const s = compareWithReference(b.build(), { x: randomTensor([4], 1) }, { registry: r });
    expect(seen.length).toBeGreaterThan(0);
    expect(s.kernels[0].kernel).toBe('wasm/Relu');
  });
});

describe('config', () => {
  it('detects SIMD, relaxed SIMD and threads once', () => {
    const c = hardwareConfig();
    expect(c.simd).toBe(true);
    expect(typeof c.relaxedSimd).toBe('boolean');
    expect(typeof c.threads).toBe('boolean');
    expect(hardwareConfig()).toBe(c);
  });
});

describe('run options', () => {
  it("'into' writes outputs into caller-owned arrays", () => {
    const b = new GraphBuilder('into');
    const x = b.input('x', 'float32', [3, 5]);
    b.output(b.sigmoid(x), 'y');
    const s = createSessionSync(b.build());
    const buf = new Float32Array(15);
    const x1 = randomTensor([3, 5], 1);
    const out = s.runSync({ x: x1 }, { into: { y: buf } });
    expect(out.y.data).toBe(buf);
    expect(Array.from(buf)).toEqual(Array.from(s.runSync({ x: x1 }).y.toFloat32()));
    expect(() => s.runSync({ x: x1 }, { into: { y: new Float32Array(3) } })).toThrow(/has 3 floats/);
    // the steps alone recompute the same values in place
    s.experimental_runStepsOnly();
    expect(Array.from(s.runSync({ x: x1 }).y.toFloat32())).toEqual(Array.from(buf));
  });
});

describe('graph inputs with a default value', () => {
  it('uses the initializer when the input is not fed, the feed when it is', () => {
    const g0 = (() => {
      const b = new GraphBuilder('defaults');
      const x = b.input('x', 'float32', [2, 4]);
      const s = b.input('scale', 'float32', [4]);
      b.output(b.mul(x, s), 'y');
      return b.build();
    })();
    const g = g0.withInitializer('scale', tensor('float32', [1, 2, 3, 4]));
    const s = createSessionSync(g);
    const x = randomTensor([2, 4], 1);
    const y = s.runSync({ x }).y.toFloat32();
    expect(Array.from(y)).toEqual(Array.from(x.toFloat32()).map((v, i) => Math.fround(v * [1, 2, 3, 4][i % 4])));
    const y2 = s.runSync({ x, scale: tensor('float32', [2, 2, 2, 2]) }).y.toFloat32();
    expect(Array.from(y2)).toEqual(Array.from(x.toFloat32()).map((v) => Math.fround(v * 2)));
  });
});
