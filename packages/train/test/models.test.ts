/**
 * Whole-network gradient checks: the @mo/models networks (BatchNormalization in training mode),
 * an optimized graph (BatchNorm folded, activations fused), and a transformer encoder block, each
 * in float64 against finite differences through the reference interpreter, on sampled elements.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, Tensor, optimize, tensor, type Graph } from '@mo/ir';
import { MODEL_NAMES, buildModel, mlp, mobilenetV2Mini, smallCnn } from '@mo/models';
import { Rng, findGradient, recordForward, stateParameters, trainableParameters } from '../src/index.js';
import { gradCheck, randomTensor, toFloat64 } from './helpers.js';

/** The graph with every BatchNormalization switched to training mode (batch statistics). */
function withTrainingBatchNorm(g: Graph): Graph {
  let out = g;
  for (const n of g.nodes) if (n.op === 'BatchNormalization') out = out.updateAttrs(n.name, { training_mode: 1 });
  return out;
}

/** Random BatchNorm parameters so that the check does not run at the identity init only. */
function randomizeBatchNorm(g: Graph, rng: Rng): Graph {
  let out = g;
  for (const n of g.nodes) {
    if (n.op !== 'BatchNormalization') continue;
    const c = g.initializers.get(n.inputs[1])!.shape;
    out = out.withInitializer(n.inputs[1], randomTensor(rng, c, 0.5, 1.5)).withInitializer(n.inputs[2], randomTensor(rng, c, -0.2, 0.2));
  }
  return out;
}

describe('every op of the @mo/models networks has a gradient rule', () => {
  it('covers the whole model zoo', () => {
    const missing = new Set<string>();
    for (const name of MODEL_NAMES) {
      const g = buildModel(name, { batch: 1 });
      for (const n of g.nodes) if (!findGradient(n.op)) missing.add(`${n.op} (${name})`);
    }
    expect([...missing]).toEqual([]);
  });
});

describe('whole-network gradient checks (float64)', () => {
  const rng = new Rng(5);

  it('smallCnn with BatchNormalization in training mode', () => {
    const g = withTrainingBatchNorm(randomizeBatchNorm(toFloat64(smallCnn({ channels: [4, 6], resolution: 8, batch: 3 })), rng));
    const x = randomTensor(rng, [3, 1, 8, 8]);
    const wrt = trainableParameters(g);
    expect(wrt).toContain('features.0.0.weight');
    expect(wrt).not.toContain('features.0.1.running_mean');
    const res = gradCheck(g, { input: x }, { wrt: [...wrt, 'input'], samples: 4, eps: 1e-6 });
    expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(1e-3);
  });

  it('mobilenetV2Mini (depthwise, ReLU6, residual Add) in training mode', () => {
    const g = withTrainingBatchNorm(randomizeBatchNorm(toFloat64(mobilenetV2Mini({ widthMultiplier: 0.25, resolution: 8, batch: 2 })), rng));
    const x = randomTensor(rng, [2, 1, 8, 8]);
    const res = gradCheck(g, { input: x }, { wrt: trainableParameters(g), samples: 1, eps: 1e-6 });
    expect(res.checked).toBeGreaterThan(50);
    expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(1e-3);
  });

  it('mlp', () => {
    const g = toFloat64(mlp({ hiddenSizes: [8], resolution: 6, batch: 2 }));
    const res = gradCheck(g, { input: randomTensor(rng, [2, 1, 6, 6]) }, { wrt: trainableParameters(g), samples: 6 });
    expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(1e-3);
  });

  it('an optimized smallCnn (BatchNorm folded, fused Relu)', () => {
    const g = optimize(randomizeBatchNorm(toFloat64(smallCnn({ channels: [3, 4], resolution: 8, batch: 2 })), rng));
    expect(g.nodes.some((n) => n.op === 'Conv' && n.attrs.activation === 'Relu')).toBe(true);
    const res = gradCheck(g, { input: randomTensor(rng, [2, 1, 8, 8]) }, { wrt: trainableParameters(g), samples: 4 });
    expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(1e-3);
  });

  it('a transformer encoder block (embedding, attention, LayerNorm, Gelu MLP)', () => {
    const [B, T, D, H, V] = [2, 3, 8, 2, 11];
    const dh = D / H;
    const b = new GraphBuilder('encoder');
    const p = (name: string, shape: number[], s = 0.5) => b.initializer(name, randomTensor(rng, shape, -s, s));
    const ones = (name: string, shape: number[]) => b.initializer(name, randomTensor(rng, shape, 0.8, 1.2));
    const ids = b.input('ids', 'int64', [B, T]);
    const x = b.add(b.gather(p('tok_emb', [V, D], 1), ids, 0), p('pos_emb', [T, D]));
    const h1 = b.layerNorm(x, ones('ln1.weight', [D]), p('ln1.bias', [D], 0.1));
    const qkv = b.add(b.matmul(h1, p('attn.qkv.weight', [D, 3 * D])), p('attn.qkv.bias', [3 * D], 0.1));
    const [q, k, v] = b.split(qkv, { parts: 3 }, -1);
    const heads = (t: typeof q, perm: number[]) => b.transpose(b.reshape(t, [B, T, H, dh]), perm);
    const scores = b.div(b.matmul(heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])), Math.sqrt(dh));
    const attn = b.softmax(scores, -1);
    const ctx = b.reshape(b.transpose(b.matmul(attn, heads(v, [0, 2, 1, 3])), [0, 2, 1, 3]), [B, T, D]);
    const r1 = b.add(x, b.matmul(ctx, p('attn.out.weight', [D, D])));
    const h2 = b.layerNorm(r1, ones('ln2.weight', [D]), p('ln2.bias', [D], 0.1));
    const m = b.gelu(b.add(b.matmul(h2, p('mlp.fc1.weight', [D, 2 * D])), p('mlp.fc1.bias', [2 * D], 0.1)));
    const out = b.add(r1, b.add(b.matmul(m, p('mlp.fc2.weight', [2 * D, D])), p('mlp.fc2.bias', [D], 0.1)));
    const pooled = b.reduceMean(out, [1], false);
    b.output(b.logSoftmax(pooled, -1), 'logprobs');
    const g = b.build();
    const feeds = { ids: tensor('int64', [1n, 5n, 10n, 5n, 0n, 3n], [B, T]) };
    // LayerNormalization standardizes at float32 inside the reference (stash_type 1): larger
    // steps with a 5-point stencil keep finite-difference noise below the tolerance.
    const res = gradCheck(g, feeds, { wrt: trainableParameters(g), samples: 3, eps: 1e-2, stencil: 5 });
    expect(res.maxRelErr, res.worst).toBeLessThanOrEqual(1e-3);
  });
});

describe('training-mode forward', () => {
  it('switches BatchNormalization to batch statistics and reports running statistics', () => {
    const rng = new Rng(9);
    const g = randomizeBatchNorm(toFloat64(smallCnn({ channels: [3, 4], resolution: 8, batch: 4 })), rng);
    const x = randomTensor(rng, [4, 1, 8, 8]);
    const wrt = trainableParameters(g);
    const a = recordForward(g, { input: x }, { training: true });
    const b = recordForward(withTrainingBatchNorm(g), { input: x });
    const seed = randomTensor(rng, a.value('logits').shape);
    const ga = a.backward({ logits: seed }, wrt);
    const gb = b.backward({ logits: seed }, wrt);
    for (const k of wrt) expect(Array.from(ga.get(k)!.data as Float64Array)).toEqual(Array.from(gb.get(k)!.data as Float64Array));
    // Inference mode differs (running statistics 0/1 instead of the batch's).
    const c = recordForward(g, { input: x });
    expect(c.value('logits').toNumbers()).not.toEqual(a.value('logits').toNumbers());
    // Running statistics: ONNX momentum 0.9, from mean 0 / var 1.
    expect([...a.stateUpdates.keys()].sort()).toEqual(stateParameters(g).sort());
    const conv = a.value('features.0.0');
    const C = conv.shape[1];
    const S = conv.size / (conv.shape[0] * C);
    const d = conv.data as Float64Array;
    let mean = 0;
    for (let n = 0; n < 4; n++) for (let s = 0; s < S; s++) mean += d[(n * C) * S + s];
    mean /= 4 * S;
    expect(a.stateUpdates.get('features.0.1.running_mean')!.get(0)).toBeCloseTo(0.1 * mean, 12);
  });

  it('leaves the graph and its tensors untouched', () => {
    const g = smallCnn({ channels: [2], resolution: 4, batch: 2 });
    const before = new Map([...g.initializers].map(([k, t]) => [k, (t.data as Float32Array).slice()]));
    const tape = recordForward(g, { input: new Tensor('float32', [2, 1, 4, 4], new Float32Array(32).fill(0.5)) }, { training: true });
    tape.backward({ logits: new Tensor('float32', [2, 10], new Float32Array(20).fill(1)) }, trainableParameters(g));
    for (const [k, t] of g.initializers) expect(Array.from(t.data as Float32Array)).toEqual(Array.from(before.get(k)!));
  });
});
