/**
 * int8 (qs8) kernels: the integer ops @mo/quantize lowers a QDQ graph to (QLinearConv, QGemm,
 * QLinearMatMul, QLinearAdd, QLinearGlobalAveragePool, QuantizeLinear, DequantizeLinear) and int8
 * views, with int8 activations in wasm memory (channels last for NCHW graphs, as the float path).
 * Every kernel reproduces the @mo/ir reference interpreter bit for bit: same multipliers (float32
 * or the TFLite fixed-point decomposition), same rounding, same saturation. Nodes outside what a
 * kernel covers (uint8 activations, per-row scales, broadcasting adds, ...) fall back with a reason.
 */
import { UnsupportedOpError, dequantizeValue, quantRange, type RequantMode, type Tensor } from '@mo/ir';
import { window2d } from '../operators/geometry.js';
import { bindQs8Conv, packQs8Conv, qs8ConvUkernel, qs8ConvWorkspace, type PackedQs8Conv } from '../operators/qs8-conv.js';
import { bindQs8Gemm, packQs8Gemm, selectQs8GemmVariant, uploadBytes } from '../operators/qs8-gemm.js';
import { quantClamp, requantCode } from '../operators/qs8-params.js';
import type { KernelRegistration, Layout, PlanContext } from '../session/registry.js';
import { prod, shapeOf } from './util.js';

/** A reason string when input i is present and not int8. */
function needInt8(ctx: PlanContext, ...idx: number[]): string | undefined {
  for (const i of idx) {
    const t = ctx.inputs[i];
    if (t && t.dtype !== 'int8') return `input ${i} has dtype '${t.dtype}'; the qs8 kernels take int8`;
  }
  return undefined;
}

/** Values of constant inputs (undefined entries for absent optional inputs), or a reason. */
function constants(ctx: PlanContext, idx: readonly number[]): (Tensor | undefined)[] | string {
  const out: (Tensor | undefined)[] = [];
  for (const i of idx) {
    if (!ctx.inputs[i]) {
      out.push(undefined);
      continue;
    }
    const t = ctx.constant(i);
    if (!t) return `input ${i} (${ctx.node.inputs[i]}) is not a constant`;
    out.push(t);
  }
  return out;
}

/** A per-tensor parameter (one element), 0 when absent. */
function scalarParam(t: Tensor | undefined, what: string): number | string {
  if (!t) return 0;
  if (t.size !== 1) return `${what} has ${t.size} elements; the qs8 kernels take one per tensor`;
  return t.get(0);
}

/** A per-channel vector of length n from a scalar or n values. */
function perChannel(t: Tensor | undefined, n: number, what: string): number[] | string {
  if (!t) return new Array<number>(n).fill(0);
  if (t.size === 1) return new Array<number>(n).fill(t.get(0));
  if (t.size !== n) return `${what} has ${t.size} elements, expected 1 or ${n}`;
  return t.toNumbers();
}

const USE: readonly ('const' | 'ignore')[] = ['const', 'const', 'const', 'const', 'const', 'const', 'const', 'const', 'const'];

export const qlinearConvKernel: KernelRegistration = {
  name: 'wasm/QLinearConv',
  op: 'QLinearConv',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0, 7);
    if (bad) return bad;
    const xs = shapeOf(ctx.inputs[0]);
    const rank = xs.length;
    if (rank !== 3 && rank !== 4) return `input x has rank ${rank}; only 1-d and 2-d convolutions have a kernel`;
    const cs = constants(ctx, [1, 2, 3, 4, 5, 6, 7, 8]);
    if (typeof cs === 'string') return cs;
    const [xScale, xZero, w, wScale, wZero, yScale, yZero, bias] = cs as [Tensor, Tensor, Tensor, Tensor, Tensor | undefined, Tensor, Tensor, Tensor | undefined];
    const nhwc = ctx.attrs.layout === 'NHWC';
    const c = nhwc ? xs[rank - 1] : xs[1];
    const m = w.shape[0];
    const xz = scalarParam(xZero, 'x_zero_point');
    const xsv = scalarParam(xScale, 'x_scale');
    const ysv = scalarParam(yScale, 'y_scale');
    const yz = scalarParam(yZero, 'y_zero_point');
    const ws = perChannel(wScale, m, 'w_scale');
    const wz = perChannel(wZero, m, 'w_zero_point');
    for (const v of [xz, xsv, ysv, yz, ws, wz]) if (typeof v === 'string') return v;
    const mode = ctx.attrs.requant as RequantMode;
    // the reference's multipliers: float32 for ONNX, doubles for the TFLite fixed-point decomposition
    const multipliers = (ws as number[]).map((s) => (mode === 'float' ? Math.fround(Math.fround((xsv as number) * s) / (ysv as number)) : ((xsv as number) * s) / (ysv as number)));
    const clamp = quantClamp('int8', ctx.attrs.activation as string, ctx.attrs.activation_params as number[], ysv as number, yz as number);
    const g = window2d(xs[0], nhwc ? xs.slice(1, rank - 1) : xs.slice(2), {
      kernel: w.shape.slice(2) as number[],
      strides: ctx.attrs.strides as number[] | undefined,
      dilations: ctx.attrs.dilations as number[] | undefined,
      pads: ctx.attrs.pads as number[] | undefined,
      autoPad: ctx.attrs.auto_pad as string,
    });
    const rt = ctx.runtime;
    let packed: PackedQs8Conv;
    try {
      packed = ctx.cached(`qs8conv|${ctx.node.name}`, () => packQs8Conv(rt, { w: w.toNumbers(), shape: w.shape as number[], wZero: wz as number[], bias: bias?.toNumbers(), multipliers, mode, group: ctx.attrs.group as number, channels: c, xZero: xz as number }), (p) => p.release());
    } catch (e) {
      if (e instanceof UnsupportedOpError) return e.message;
      throw e;
    }
    const layout: Layout = nhwc ? 'plain' : 'cl';
    return {
      inputs: [layout, ...USE.slice(0, 8)],
      outputs: [layout],
      workspace: qs8ConvWorkspace(packed, g),
      ukernel: qs8ConvUkernel(packed, g),
      bind: (b) => bindQs8Conv(rt, packed, g, c, b.input(0), b.output(0), yz as number, clamp, b.workspace, b.alloc),
    };
  },
};

/** Packs B (element (k, n) at `b(k, n)`) for a GEMM-like op and returns a plan over m rows. */
function gemmPlan(ctx: PlanContext, key: string, m: number, k: number, n: number, bAt: (k: number, n: number) => number, bZero: number[], bias: (n: number) => number, multipliers: number[], mode: RequantMode, aZero: number, yZero: number) {
  const rt = ctx.runtime;
  let w: number;
  try {
    w = ctx.cached(key, () => uploadBytes(rt, packQs8Gemm({ k, n, at: (kk, nn) => bAt(kk, nn) - bZero[nn], bias, multipliers, mode }, aZero)), (p) => rt.heap.release(p));
  } catch (e) {
    if (e instanceof UnsupportedOpError) return e.message;
    throw e;
  }
  const clamp = quantRange('int8');
  return {
    w,
    ukernel: selectQs8GemmVariant(m).name,
    bind: (a: number, c: number) => bindQs8Gemm(rt, { m, n, k, a, lda: k, w, c, ldc: n, code: requantCode(mode, multipliers), zp: yZero, clamp }),
  };
}

export const qgemmKernel: KernelRegistration = {
  name: 'wasm/QGemm',
  op: 'QGemm',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0);
    if (bad) return bad;
    if (!ctx.inputs[8] || ctx.inputs[8].dtype !== 'int8') return 'output is not int8 (y_scale / y_zero_point absent or not int8)';
    if (ctx.attrs.transA === 1) return 'transA = 1';
    const cs = constants(ctx, [1, 2, 3, 4, 5, 6, 7, 8]);
    if (typeof cs === 'string') return cs;
    const [aScale, aZero, b, bScale, bZero, c, yScale, yZero] = cs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor | undefined, Tensor, Tensor];
    const as = shapeOf(ctx.inputs[0]);
    const transB = ctx.attrs.transB === 1;
    const [m, k] = as;
    const n = transB ? b.shape[0] : b.shape[1];
    const sa = scalarParam(aScale, 'a_scale');
    const za = scalarParam(aZero, 'a_zero_point');
    const sy = scalarParam(yScale, 'y_scale');
    const zy = scalarParam(yZero, 'y_zero_point');
    const sb = perChannel(bScale, n, 'b_scale');
    const zb = perChannel(bZero, n, 'b_zero_point');
    for (const v of [sa, za, sy, zy, sb, zb]) if (typeof v === 'string') return v;
    if (c && c.size !== 1 && !(c.size === n && c.shape[c.shape.length - 1] === n)) return `bias C ${JSON.stringify(c.shape)} is not one value per column`;
    const cv = c?.toNumbers();
    // the reference's multiplier: f32(f32(f32(f32(alpha) * a_scale) * b_scale[n]) / y_scale)
    const alphaA = Math.fround(Math.fround(ctx.attrs.alpha as number) * (sa as number));
    const multipliers = (sb as number[]).map((s) => Math.fround(Math.fround(alphaA * s) / (sy as number)));
    const bv = b.toNumbers();
    const p = gemmPlan(ctx, `qgemm|${ctx.node.name}`, m, k, n, (kk, nn) => bv[transB ? nn * k + kk : kk * n + nn], zb as number[], (nn) => (cv ? cv[cv.length === 1 ? 0 : nn] : 0), multipliers, 'float', za as number, zy as number);
    if (typeof p === 'string') return p;
    return { inputs: ['plain', ...USE.slice(0, 8)], outputs: ['plain'], ukernel: p.ukernel, bind: (bc) => p.bind(bc.input(0), bc.output(0)) };
  },
};

export const qlinearMatMulKernel: KernelRegistration = {
  name: 'wasm/QLinearMatMul',
  op: 'QLinearMatMul',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0, 7);
    if (bad) return bad;
    const cs = constants(ctx, [1, 2, 3, 4, 5, 6, 7]);
    if (typeof cs === 'string') return cs;
    const [aScale, aZero, b, bScale, bZero, yScale, yZero] = cs as Tensor[];
    if (b.shape.length !== 2) return `B has rank ${b.shape.length}; the kernel takes a constant 2-d B`;
    const as = shapeOf(ctx.inputs[0]);
    const [k, n] = b.shape as number[];
    const m = prod(as.slice(0, -1));
    const sa = scalarParam(aScale, 'a_scale');
    const za = scalarParam(aZero, 'a_zero_point');
    const sy = scalarParam(yScale, 'y_scale');
    const zy = scalarParam(yZero, 'y_zero_point');
    const sb = perChannel(bScale, n, 'b_scale');
    const zb = perChannel(bZero, n, 'b_zero_point');
    for (const v of [sa, za, sy, zy, sb, zb]) if (typeof v === 'string') return v;
    const mode = ctx.attrs.requant as RequantMode;
    const multipliers = (sb as number[]).map((s) => {
      const sab = (sa as number) * s;
      return mode === 'float' ? Math.fround(Math.fround(sab) / (sy as number)) : sab / (sy as number);
    });
    const bv = b.toNumbers();
    const p = gemmPlan(ctx, `qmatmul|${ctx.node.name}`, m, k, n, (kk, nn) => bv[kk * n + nn], zb as number[], () => 0, multipliers, mode, za as number, zy as number);
    if (typeof p === 'string') return p;
    return { inputs: ['plain', ...USE.slice(0, 7)], outputs: ['plain'], ukernel: p.ukernel, bind: (bc) => p.bind(bc.input(0), bc.output(0)) };
  },
};

export const qlinearAddKernel: KernelRegistration = {
  name: 'wasm/QLinearAdd',
  op: 'QLinearAdd',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0, 3);
    if (bad) return bad;
    const a = shapeOf(ctx.inputs[0]);
    const b = shapeOf(ctx.inputs[3]);
    const same = a.length === b.length && a.every((d, i) => d === b[i]);
    if (!same) return `A ${JSON.stringify(a)} and B ${JSON.stringify(b)} differ in shape; the kernel adds equal shapes`;
    const cs = constants(ctx, [1, 2, 4, 5, 6, 7]);
    if (typeof cs === 'string') return cs;
    const params = cs.map((t, i) => scalarParam(t, ['A_scale', 'A_zero_point', 'B_scale', 'B_zero_point', 'C_scale', 'C_zero_point'][i]));
    for (const v of params) if (typeof v === 'string') return v;
    const [sa, za, sb, zb, sc, zc] = params as number[];
    const n = prod(a);
    // elementwise: any layout works as long as A, B and C share it
    const layout: Layout = ctx.layout(0) === 'cl' && a.length >= 3 ? 'cl' : 'plain';
    const rt = ctx.runtime;
    return {
      inputs: [layout, 'const', 'const', layout, 'const', 'const', 'const', 'const'],
      outputs: [layout],
      ukernel: 'qs8-vadd-simd128-8x',
      bind: (bc) => {
        const p = bc.alloc(32);
        const view = new DataView(rt.heap.memory.buffer, p, 32);
        view.setFloat32(0, sa, true);
        view.setInt32(4, za, true);
        view.setFloat32(8, sb, true);
        view.setInt32(12, zb, true);
        view.setFloat32(16, sc, true);
        view.setInt32(20, zc, true);
        view.setInt32(24, -128, true);
        view.setInt32(28, 127, true);
        const f = rt.fn('qs8_vadd_simd128');
        const x = bc.input(0);
        const y = bc.input(3);
        const out = bc.output(0);
        return () => f(n, x, y, 1, out, p);
      },
    };
  },
};

export const qlinearGlobalAveragePoolKernel: KernelRegistration = {
  name: 'wasm/QLinearGlobalAveragePool',
  op: 'QLinearGlobalAveragePool',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0);
    if (bad) return bad;
    const xs = shapeOf(ctx.inputs[0]);
    if (xs.length < 3) return `input X has rank ${xs.length}; expected >= 3`;
    const cs = constants(ctx, [1, 2, 3, 4]);
    if (typeof cs === 'string') return cs;
    const params = cs.map((t, i) => scalarParam(t, ['x_scale', 'x_zero_point', 'y_scale', 'y_zero_point'][i]));
    for (const v of params) if (typeof v === 'string') return v;
    const [sx, zx, sy, zy] = params as number[];
    const nhwc = ctx.attrs.layout === 'NHWC';
    const rank = xs.length;
    const n = xs[0];
    const c = nhwc ? xs[rank - 1] : xs[1];
    const pixels = prod(nhwc ? xs.slice(1, rank - 1) : xs.slice(2));
    const rt = ctx.runtime;
    return {
      // NCHW: read channels last; the [N, C, 1, ...] output has the same bytes in either layout
      inputs: [nhwc ? 'plain' : 'cl', 'const', 'const', 'const', 'const'],
      outputs: ['plain'],
      workspace: c * 8,
      ukernel: 'qs8-gavgpool-scalar-nhwc',
      bind: (bc) => {
        const lut = bc.alloc(256 * 8);
        const f64 = rt.heap.f64;
        for (let q = -128; q < 128; q++) f64[(lut >> 3) + q + 128] = dequantizeValue(q, sx, zx);
        const f = rt.fn('qs8_gavgpool_scalar_nhwc');
        const x = bc.input(0);
        const y = bc.output(0);
        const ws = bc.workspace;
        return () => f(n, pixels, c, x, lut, ws, y, sy, zy, -128, 127);
      },
    };
  },
};

export const quantizeLinearKernel: KernelRegistration = {
  name: 'wasm/QuantizeLinear',
  op: 'QuantizeLinear',
  priority: 10,
  plan(ctx) {
    const x = ctx.inputs[0];
    if (!x || x.dtype !== 'float32') return 'input x is not float32';
    if (ctx.outputs[0].dtype !== 'int8') return `output dtype '${ctx.outputs[0].dtype}'; the kernel writes int8`;
    const cs = constants(ctx, [1, 2]);
    if (typeof cs === 'string') return cs;
    const [s, z] = cs;
    if (s!.dtype !== 'float32') return `y_scale is ${s!.dtype}; the kernel takes float32`;
    const sv = scalarParam(s, 'y_scale');
    const zv = scalarParam(z, 'y_zero_point');
    for (const v of [sv, zv]) if (typeof v === 'string') return v;
    const xs = shapeOf(x);
    const n = prod(xs);
    // elementwise: a 4-d image is quantized channels last, where the convolutions read it
    const layout: Layout = xs.length === 4 || ctx.layout(0) === 'cl' ? 'cl' : 'plain';
    const rt = ctx.runtime;
    return {
      inputs: [layout, 'const', 'const'],
      outputs: [layout],
      ukernel: 'f32-qs8-vcvt-simd128-8x',
      bind: (bc) => {
        const f = rt.fn('f32_qs8_vcvt_simd128');
        const xi = bc.input(0);
        const y = bc.output(0);
        return () => f(n, xi, y, sv as number, zv as number, -128, 127);
      },
    };
  },
};

export const dequantizeLinearKernel: KernelRegistration = {
  name: 'wasm/DequantizeLinear',
  op: 'DequantizeLinear',
  priority: 10,
  plan(ctx) {
    const bad = needInt8(ctx, 0);
    if (bad) return bad;
    if (ctx.outputs[0].dtype !== 'float32') return `output dtype '${ctx.outputs[0].dtype}'; the kernel writes float32`;
    const cs = constants(ctx, [1, 2]);
    if (typeof cs === 'string') return cs;
    const sv = scalarParam(cs[0], 'x_scale');
    const zv = scalarParam(cs[1], 'x_zero_point');
    for (const v of [sv, zv]) if (typeof v === 'string') return v;
    const n = prod(shapeOf(ctx.inputs[0]));
    const layout: Layout = ctx.layout(0);
    const rt = ctx.runtime;
    return {
      inputs: [layout, 'const', 'const'],
      outputs: [layout],
      ukernel: 'qs8-f32-vcvt-simd128-8x',
      bind: (bc) => {
        const f = rt.fn('qs8_f32_vcvt_simd128');
        const x = bc.input(0);
        const y = bc.output(0);
        return () => f(n, x, y, sv as number, zv as number);
      },
    };
  },
};

/** Reshape and friends on integer values: views, as their float32 twins. */
function intViewKernel(op: string): KernelRegistration {
  return {
    name: `wasm/int/${op}`,
    op,
    priority: 5,
    plan(ctx) {
      const t = ctx.inputs[0];
      if (!t || !['int8', 'uint8', 'int32'].includes(t.dtype)) return `input 0 has dtype '${t?.dtype}'; this view kernel takes int8, uint8 or int32`;
      return { inputs: ['plain', 'ignore'], outputs: ['plain'], alias: true, bind: () => () => {} };
    },
  };
}

export const qs8Kernels: readonly KernelRegistration[] = [
  qlinearConvKernel,
  qgemmKernel,
  qlinearMatMulKernel,
  qlinearAddKernel,
  qlinearGlobalAveragePoolKernel,
  quantizeLinearKernel,
  dequantizeLinearKernel,
  ...['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity'].map(intViewKernel),
];
