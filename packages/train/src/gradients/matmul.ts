/**
 * Gradients of the matrix products. MatMul follows numpy.matmul (1-D operands promoted, batch
 * dimensions broadcast: a broadcast operand's gradient sums over the batch entries that shared
 * it). Gemm: dA' = alpha dY B'^T, dB' = alpha A'^T dY, dC = beta dY summed over C's broadcast dims.
 * Fused activations are differentiated by the engine before these rules run.
 */
import { Tensor, broadcastShapes, sizeOf, stridesOf } from '@mo/ir';
import { floats, trainDType, unbroadcast, mapFloat } from '../autodiff/array.js';
import { fromF64 } from '../autodiff/ops.js';
import { defineGradient, type GradientRule } from '../autodiff/registry.js';

/** For each broadcast batch entry, the offset of the operand's matrix. */
function batchBases(batchIn: readonly number[], batchOut: readonly number[], matrix: number): number[] {
  const st = stridesOf(batchIn);
  const rank = batchOut.length;
  const strides = new Array<number>(rank).fill(0);
  batchIn.forEach((d, i) => (strides[rank - batchIn.length + i] = d === 1 ? 0 : st[i]));
  const count = sizeOf(batchOut);
  const out = new Array<number>(count);
  for (let t = 0; t < count; t++) {
    let rem = t;
    let off = 0;
    for (let d = rank - 1; d >= 0; d--) {
      off += (rem % batchOut[d]) * strides[d];
      rem = Math.floor(rem / batchOut[d]);
    }
    out[t] = off * matrix;
  }
  return out;
}

const matmul = defineGradient({
  op: 'MatMul',
  doc: 'dA = dY B^T and dB = A^T dY per batch entry, summed over broadcast batch dimensions.',
  grad(ctx) {
    const [a, b] = ctx.inputs as Tensor[];
    const g = ctx.gradOutputs[0]!;
    const aShape = a.rank === 1 ? [1, a.shape[0]] : [...a.shape];
    const bShape = b.rank === 1 ? [b.shape[0], 1] : [...b.shape];
    const M = aShape[aShape.length - 2];
    const K = aShape[aShape.length - 1];
    const N = bShape[bShape.length - 1];
    const batch = broadcastShapes([aShape.slice(0, -2), bShape.slice(0, -2)]) as number[];
    const aBase = batchBases(aShape.slice(0, -2), batch, M * K);
    const bBase = batchBases(bShape.slice(0, -2), batch, K * N);
    const ad = floats(a);
    const bd = floats(b);
    const gd = floats(g);
    const dtype = trainDType(g);
    const needA = ctx.needsGrad(0);
    const needB = ctx.needsGrad(1);
    const dA = new Float64Array(needA ? a.size : 0);
    const dB = new Float64Array(needB ? b.size : 0);
    for (let t = 0; t < aBase.length; t++) {
      const ab = aBase[t];
      const bb = bBase[t];
      for (let m = 0; m < M; m++) {
        const gRow = (t * M + m) * N;
        const aRow = ab + m * K;
        for (let k = 0; k < K; k++) {
          const bRow = bb + k * N;
          if (needA) {
            let acc = 0;
            for (let n = 0; n < N; n++) acc += gd[gRow + n] * bd[bRow + n];
            dA[aRow + k] += acc;
          }
          if (needB) {
            const av = ad[aRow + k];
            if (av !== 0) for (let n = 0; n < N; n++) dB[bRow + n] += av * gd[gRow + n];
          }
        }
      }
    }
    return [needA ? fromF64(dtype, a.shape, dA) : undefined, needB ? fromF64(dtype, b.shape, dB) : undefined];
  },
});

const gemm = defineGradient({
  op: 'Gemm',
  doc: "dA' = alpha dY B'^T, dB' = alpha A'^T dY (transposed back when transA/transB), dC = beta dY summed over C's broadcast dims.",
  grad(ctx) {
    const [a, b, c] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const g = ctx.gradOutputs[0]!;
    const transA = ctx.attrs.transA === 1;
    const transB = ctx.attrs.transB === 1;
    const alpha = ctx.attrs.alpha as number;
    const beta = ctx.attrs.beta as number;
    const [M, N] = g.shape;
    const K = transA ? a.shape[0] : a.shape[1];
    const ad = floats(a);
    const bd = floats(b);
    const gd = floats(g);
    const dtype = trainDType(g);
    const A = transA ? (m: number, k: number) => ad[k * M + m] : (m: number, k: number) => ad[m * K + k];
    let dA: Tensor | undefined;
    let dB: Tensor | undefined;
    if (ctx.needsGrad(0)) {
      // dA'[m, k] = alpha * sum_n dY[m, n] B'[k, n]
      const acc = new Float64Array(M * K);
      for (let m = 0; m < M; m++) {
        const gRow = m * N;
        if (transB) {
          // B'[k, n] = B[n, k]: walk B by rows.
          for (let n = 0; n < N; n++) {
            const gv = gd[gRow + n];
            if (gv === 0) continue;
            const bRow = n * K;
            for (let k = 0; k < K; k++) acc[m * K + k] += gv * bd[bRow + k];
          }
        } else {
          for (let k = 0; k < K; k++) {
            let s = 0;
            const bRow = k * N;
            for (let n = 0; n < N; n++) s += gd[gRow + n] * bd[bRow + n];
            acc[m * K + k] = s;
          }
        }
      }
      const out = new Float64Array(M * K);
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) out[transA ? k * M + m : m * K + k] = alpha * acc[m * K + k];
      dA = fromF64(dtype, a.shape, out);
    }
    if (ctx.needsGrad(1)) {
      // dB'[k, n] = alpha * sum_m A'[m, k] dY[m, n]
      const acc = new Float64Array(K * N);
      for (let m = 0; m < M; m++) {
        const gRow = m * N;
        for (let k = 0; k < K; k++) {
          const av = A(m, k);
          if (av === 0) continue;
          const row = k * N;
          for (let n = 0; n < N; n++) acc[row + n] += av * gd[gRow + n];
        }
      }
      const out = new Float64Array(K * N);
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[transB ? n * K + k : k * N + n] = alpha * acc[k * N + n];
      dB = fromF64(dtype, b.shape, out);
    }
    let dC: Tensor | undefined;
    if (c && ctx.needsGrad(2)) {
      const summed = unbroadcast(g, c.shape);
      dC = beta === 1 ? (summed === g ? new Tensor(g.dtype, c.shape, g.data) : summed) : mapFloat(summed, (v) => beta * v);
    }
    return [dA, dB, dC];
  },
});

/** Gradient rules of this family. */
export const matmulGradients: readonly GradientRule[] = [matmul, gemm];
