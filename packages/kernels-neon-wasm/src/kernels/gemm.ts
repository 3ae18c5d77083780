/** Gemm and MatMul on the packed f32-gemm microkernels. */
import { applyPost } from '../operators/activation.js';
import { bindGemm, packGemmWeights, packGemmWeightsInto, packedGemmBytes } from '../operators/gemm.js';
import { F32_GEMM_VARIANTS, selectGemmVariant } from '../microkernels/variants.js';
import type { KernelRegistration } from '../session/registry.js';
import { activationOf, f32Data, needF32, prod, releaseHeapBlock, shapeOf } from './util.js';

export const gemmKernel: KernelRegistration = {
  name: 'wasm/Gemm',
  op: 'Gemm',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0, 1, 2);
    if (bad) return bad;
    const b = ctx.constant(1);
    if (!b) return 'B is not a constant';
    const c = ctx.inputs[2] ? ctx.constant(2) : undefined;
    if (ctx.inputs[2] && !c) return 'C is not a constant';
    const transA = ctx.attrs.transA === 1;
    const transB = ctx.attrs.transB === 1;
    const alpha = ctx.attrs.alpha as number;
    const beta = ctx.attrs.beta as number;
    const as = shapeOf(ctx.inputs[0]);
    const [M, K] = transA ? [as[1], as[0]] : [as[0], as[1]];
    const N = transB ? b.shape[0] : b.shape[1];
    let bias: Float32Array | undefined;
    if (c) {
      const cs = c.shape;
      const perColumn = cs.length === 0 || (cs.length === 1) || (cs.length === 2 && cs[0] === 1);
      if (!perColumn) return `C has shape [${cs.join(',')}]; only a bias per column ([], [N], [1,N]) is fused`;
      const cv = c.toFloat32();
      bias = new Float32Array(N);
      for (let j = 0; j < N; j++) bias[j] = beta * (cv.length === 1 ? cv[0] : cv[j]);
    }
    const act = activationOf(ctx);
    if (act.min > act.max) return 'Clip with min > max';
    const rt = ctx.runtime;
    const w = ctx.cached(`gemm|${ctx.node.name}`, () => packGemmWeights(rt, f32Data(b), K, N, transB ? 1 : N, transB ? K : 1, bias, alpha), releaseHeapBlock(rt));
    const variant = selectGemmVariant(F32_GEMM_VARIANTS, M);
    return {
      inputs: ['plain', 'const', 'const'],
      outputs: ['plain'],
      workspace: transA ? M * K * 4 : 0,
      ukernel: variant.name,
      bind: (bc) => {
        const y = bc.output(0);
        let a = bc.input(0);
        const pre: (() => void)[] = [];
        if (transA) {
          const f = rt.fn('x32_transpose2d_simd128');
          const src = a;
          const ws = bc.workspace;
          pre.push(() => f(1, K, M, src, ws));
          a = ws;
        }
        const run = bindGemm(rt, { m: M, n: N, k: K, a, lda: K, w, c: y, ldc: N, min: act.min, max: act.max }, variant);
        if (!pre.length && !act.post) return run;
        return () => {
          for (const p of pre) p();
          run();
          applyPost(rt, act, y, M * N);
        };
      },
    };
  },
};

/** numpy.matmul: B constant (packed once) or computed (packed per run), batch dims broadcast. */
export const matmulKernel: KernelRegistration = {
  name: 'wasm/MatMul',
  op: 'MatMul',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0, 1);
    if (bad) return bad;
    const act = activationOf(ctx);
    if (act.min > act.max) return 'Clip with min > max';
    const as0 = shapeOf(ctx.inputs[0]);
    const bs0 = shapeOf(ctx.inputs[1]);
    const aS = as0.length === 1 ? [1, as0[0]] : as0;
    const bS = bs0.length === 1 ? [bs0[0], 1] : bs0;
    const K = aS[aS.length - 1];
    const N = bS[bS.length - 1];
    const M = aS[aS.length - 2];
    const rt = ctx.runtime;
    const bConst = ctx.constant(1);
    const outSize = prod(shapeOf(ctx.outputs[0]));
    if (bConst && bS.length === 2) {
      // batch dims of A fold into M
      const rows = prod(aS.slice(0, -1));
      const w = ctx.cached(`matmul|${ctx.node.name}`, () => packGemmWeights(rt, f32Data(bConst), K, N, N, 1), releaseHeapBlock(rt));
      const variant = selectGemmVariant(F32_GEMM_VARIANTS, rows);
      return {
        inputs: ['plain', 'const'],
        outputs: ['plain'],
        ukernel: variant.name,
        bind: (bc) => {
          const y = bc.output(0);
          const run = bindGemm(rt, { m: rows, n: N, k: K, a: bc.input(0), lda: K, w, c: y, ldc: N, min: act.min, max: act.max }, variant);
          return act.post ? () => (run(), applyPost(rt, act, y, outSize)) : run;
        },
      };
    }
    // general: broadcast batch, B packed at run time into the workspace
    const aBatch = aS.slice(0, -2);
    const bBatch = bS.slice(0, -2);
    const r = Math.max(aBatch.length, bBatch.length);
    const batch: number[] = [];
    for (let i = 0; i < r; i++) {
      const x = aBatch[aBatch.length - r + i] ?? 1;
      const y = bBatch[bBatch.length - r + i] ?? 1;
      batch.push(Math.max(x, y));
    }
    const offsets = (inBatch: number[], size: number): number[] => {
      const count = prod(batch);
      const out: number[] = [];
      for (let t = 0; t < count; t++) {
        let rem = t;
        let off = 0;
        let stride = 1;
        const idx: number[] = new Array(r).fill(0);
        for (let d = r - 1; d >= 0; d--) {
          idx[d] = rem % batch[d];
          rem = Math.floor(rem / batch[d]);
        }
        for (let d = inBatch.length - 1; d >= 0; d--) {
          const od = r - inBatch.length + d;
          if (inBatch[d] !== 1) off += idx[od] * stride;
          stride *= inBatch[d];
        }
        out.push(off * size);
      }
      return out;
    };
    const aOff = offsets(aBatch, M * K);
    const bOff = offsets(bBatch, K * N);
    const packedBytes = packedGemmBytes(K, N);
    const variant = selectGemmVariant(F32_GEMM_VARIANTS, M);
    // B packings are shared between batch entries that read the same B matrix
    const distinctB = [...new Set(bOff)];
    return {
      inputs: ['plain', 'plain'],
      outputs: ['plain'],
      workspace: packedBytes * distinctB.length,
      ukernel: variant.name,
      bind: (bc) => {
        const a = bc.input(0);
        const b = bc.input(1);
        const y = bc.output(0);
        const ws = bc.workspace;
        const slot = new Map(distinctB.map((o, i) => [o, ws + i * packedBytes]));
        const packs = distinctB.map((o) => () => packGemmWeightsInto(rt, b + o * 4, K, N, N, 1, 0, slot.get(o)!));
        const runs = aOff.map((ao, t) => bindGemm(rt, { m: M, n: N, k: K, a: a + ao * 4, lda: K, w: slot.get(bOff[t])!, c: y + t * M * N * 4, ldc: N, min: act.min, max: act.max }, variant));
        return () => {
          for (const p of packs) p();
          for (const r2 of runs) r2();
          applyPost(rt, act, y, outSize);
        };
      },
    };
  },
};
