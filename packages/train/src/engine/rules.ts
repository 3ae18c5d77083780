/**
 * Gradient rules that run on the wasm engine (@mo/kernels-neon-wasm `TrainingOps`): Conv (one
 * group or depthwise), Gemm, 2-d MatMul, BatchNormalization in training mode, Relu, Clip,
 * GlobalAveragePool and 2-d MaxPool. Each one handles the float32 cases the engine covers and
 * hands every other case (float64, 3-d convolutions, grouped convolutions, NHWC attributes, ...)
 * to the built-in TypeScript rule, which stays the golden the tests compare against.
 */
import { Tensor, UnsupportedOpError, type ResolvedAttrs } from '@mo/ir';
import { TrainingOps, type ConvAttrs } from '@mo/kernels-neon-wasm';
import { findGradient, type ForwardContext, type ForwardResult, type GradContext, type GradientRule } from '../autodiff/registry.js';

/** What an engine rule saved: its own data, or the built-in rule's when it handed over. */
type Saved = { readonly engine: true; readonly data?: unknown } | { readonly engine: false; readonly data?: unknown };

interface EngineImpl {
  /** The engine forward, or undefined when this case goes to the built-in rule. */
  forward(ctx: ForwardContext, ops: TrainingOps): { outputs: Tensor[]; data?: unknown; stateUpdates?: ReadonlyMap<number, Tensor> } | undefined;
  grad(ctx: GradContext, ops: TrainingOps, data: unknown): (Tensor | undefined)[];
}

const f32 = (t: Tensor | undefined): t is Tensor => t !== undefined && t.dtype === 'float32';
const data32 = (t: Tensor): Float32Array => t.data as Float32Array;
const tensor32 = (shape: readonly number[], d: Float32Array): Tensor => new Tensor('float32', shape, d);

function builtin(op: string): GradientRule {
  const r = findGradient(op);
  if (!r) throw new UnsupportedOpError(`no built-in gradient rule for '${op}'`, { op });
  return r;
}

/** An engine rule for `op` over its built-in rule. */
function engineRule(op: string, ops: TrainingOps, impl: EngineImpl): GradientRule {
  const base = builtin(op);
  return Object.freeze({
    ...base,
    forward(ctx: ForwardContext): ForwardResult {
      const r = impl.forward(ctx, ops);
      if (r) return { outputs: r.outputs, saved: { engine: true, data: r.data } satisfies Saved, stateUpdates: r.stateUpdates };
      const b = base.forward ? base.forward(ctx) : { outputs: ctx.run() };
      return { ...b, saved: { engine: false, data: b.saved } satisfies Saved };
    },
    grad(ctx: GradContext): readonly (Tensor | undefined)[] {
      const s = ctx.saved as Saved;
      if (s.engine) return impl.grad(ctx, ops, s.data);
      return base.grad({ ...ctx, saved: s.data, needsGrad: ctx.needsGrad, fail: ctx.fail });
    },
  });
}

function convAttrs(a: ResolvedAttrs): ConvAttrs {
  return {
    strides: a.strides as number[] | undefined,
    pads: a.pads as number[] | undefined,
    dilations: a.dilations as number[] | undefined,
    group: a.group as number,
    autoPad: a.auto_pad as string,
  };
}

function convEngine(ctx: { attrs: ResolvedAttrs; inputs: readonly (Tensor | undefined)[] }): boolean {
  const [x, w, b] = ctx.inputs;
  return f32(x) && f32(w) && (b === undefined || f32(b)) && x.rank === 4 && (ctx.attrs.layout ?? 'NCHW') === 'NCHW' && (ctx.attrs.activation ?? 'none') === 'none' &&
    TrainingOps.supportsConv(x.shape, w.shape, ctx.attrs.group as number);
}

const convImpl: EngineImpl = {
  forward(ctx, ops) {
    if (!convEngine(ctx)) return undefined;
    const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const { y, shape } = ops.conv(data32(x), x.shape, data32(w), w.shape, b ? data32(b) : undefined, convAttrs(ctx.attrs));
    return { outputs: [tensor32(shape, y)] };
  },
  grad(ctx, ops) {
    const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const need = { x: ctx.needsGrad(0), w: ctx.needsGrad(1), b: !!b && ctx.needsGrad(2) };
    let r;
    try {
      r = ops.convBackward(data32(x), x.shape, data32(w), w.shape, data32(ctx.gradOutputs[0]!), convAttrs(ctx.attrs), need);
    } catch (e) {
      // geometry the transposed convolution does not cover: the built-in rule needs nothing saved
      if (e instanceof UnsupportedOpError) return [...builtin('Conv').grad(ctx)];
      throw e;
    }
    return [r.dx && tensor32(x.shape, r.dx), r.dw && tensor32(w.shape, r.dw), r.db && b ? tensor32(b.shape, r.db) : undefined];
  },
};

/** Y = op(A) op(B) + C with C absent or one row ([N] or [1, N]). */
function gemmEngine(ctx: { attrs: ResolvedAttrs; inputs: readonly (Tensor | undefined)[] }, n: number): boolean {
  const [a, b, c] = ctx.inputs;
  const okC = c === undefined || (f32(c) && c.size === n && (c.rank === 1 || (c.rank === 2 && c.shape[0] === 1)));
  return f32(a) && f32(b) && a.rank === 2 && b.rank === 2 && okC && (ctx.attrs.alpha ?? 1) === 1 && (ctx.attrs.beta ?? 1) === 1 && (ctx.attrs.activation ?? 'none') === 'none';
}

function gemmDims(a: Tensor, b: Tensor, transA: boolean, transB: boolean): { m: number; n: number; k: number } {
  return { m: transA ? a.shape[1] : a.shape[0], k: transA ? a.shape[0] : a.shape[1], n: transB ? b.shape[0] : b.shape[1] };
}

function gemmGrads(ctx: GradContext, ops: TrainingOps, transA: boolean, transB: boolean): (Tensor | undefined)[] {
  const [a, b, c] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const { m, n, k } = gemmDims(a, b, transA, transB);
  const dy = data32(ctx.gradOutputs[0]!);
  const A = data32(a);
  const B = data32(b);
  // dA' = dY B'^T, dB' = A'^T dY (A' = op(A), B' = op(B)); stored transposed when the input is
  const da = !ctx.needsGrad(0) ? undefined : transA ? ops.matmul(B, dy, k, m, n, { transA: transB, transB: true }) : ops.matmul(dy, B, m, k, n, { transB: !transB });
  const db = !ctx.needsGrad(1) ? undefined : transB ? ops.matmul(dy, A, n, k, m, { transA: true, transB: transA }) : ops.matmul(A, dy, k, n, m, { transA: !transA });
  const dc = c && ctx.needsGrad(2) ? ops.columnSums(dy, m, n) : undefined;
  return [da && tensor32(a.shape, da), db && tensor32(b.shape, db), dc && c ? tensor32(c.shape, dc) : undefined];
}

const gemmImpl: EngineImpl = {
  forward(ctx, ops) {
    const [a, b, c] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const transA = ctx.attrs.transA === 1;
    const transB = ctx.attrs.transB === 1;
    if (!f32(a) || !f32(b) || a.rank !== 2 || b.rank !== 2) return undefined;
    const { m, n, k } = gemmDims(a, b, transA, transB);
    if (!gemmEngine(ctx, n)) return undefined;
    const y = ops.matmul(data32(a), data32(b), m, n, k, { transA, transB, bias: c ? data32(c) : undefined });
    return { outputs: [tensor32([m, n], y)] };
  },
  grad: (ctx, ops) => gemmGrads(ctx, ops, ctx.attrs.transA === 1, ctx.attrs.transB === 1),
};

const matmulImpl: EngineImpl = {
  forward(ctx, ops) {
    const [a, b] = ctx.inputs as [Tensor, Tensor];
    if (!f32(a) || !f32(b) || a.rank !== 2 || b.rank !== 2 || (ctx.attrs.activation ?? 'none') !== 'none') return undefined;
    const [m, k] = a.shape;
    const n = b.shape[1];
    return { outputs: [tensor32([m, n], ops.matmul(data32(a), data32(b), m, n, k))] };
  },
  grad: (ctx, ops) => gemmGrads(ctx, ops, false, false),
};

interface BatchNormData {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

const batchNormImpl: EngineImpl = {
  forward(ctx, ops) {
    const [x, scale, bias, runMean, runVar] = ctx.inputs as Tensor[];
    // training forward of an inference-form node (the trainer's case); everything else: built-in
    if (!ctx.training || ctx.attrs.training_mode === 1 || ctx.node.outputs.length > 1) return undefined;
    if (![x, scale, bias, runMean, runVar].every(f32) || x.rank < 2) return undefined;
    const eps = ctx.attrs.epsilon as number;
    const momentum = ctx.attrs.momentum as number;
    const { y, mean, variance } = ops.batchNormTrain(data32(x), x.shape, data32(scale), data32(bias), eps);
    const rm = data32(runMean);
    const rv = data32(runVar);
    const newMean = Float32Array.from(mean, (v, c) => rm[c] * momentum + v * (1 - momentum));
    const newVar = Float32Array.from(variance, (v, c) => rv[c] * momentum + v * (1 - momentum));
    return {
      outputs: [tensor32(x.shape, y)],
      data: { mean, variance } satisfies BatchNormData,
      stateUpdates: new Map([[3, tensor32(runMean.shape, newMean)], [4, tensor32(runVar.shape, newVar)]]),
    };
  },
  grad(ctx, ops, data) {
    const [x, scale, bias] = ctx.inputs as Tensor[];
    const { mean, variance } = data as BatchNormData;
    const r = ops.batchNormTrainBackward(data32(x), x.shape, data32(scale), mean, variance, ctx.attrs.epsilon as number, data32(ctx.gradOutputs[0]!), ctx.needsGrad(0));
    return [r.dx && tensor32(x.shape, r.dx), ctx.needsGrad(1) ? tensor32(scale.shape, r.dscale) : undefined, ctx.needsGrad(2) ? tensor32(bias.shape, r.dbias) : undefined, undefined, undefined];
  },
};

/** Relu and Clip: the engine's clamp forward; the gradient passes where min < x < max (Relu: x > 0). */
function clampImpl(bounds: (ctx: { inputs: readonly (Tensor | undefined)[] }) => [number, number], strictLow: boolean): EngineImpl {
  return {
    forward(ctx, ops) {
      const x = ctx.inputs[0];
      if (!f32(x)) return undefined;
      const [lo, hi] = bounds(ctx);
      return { outputs: [tensor32(x.shape, ops.clamp(data32(x), lo, hi))] };
    },
    grad(ctx, ops) {
      const x = data32(ctx.inputs[0]!);
      const g = data32(ctx.gradOutputs[0]!);
      const [lo, hi] = bounds(ctx);
      const dx = ops.output(x.length);
      // branch-free: a data-dependent branch mispredicts on half of the elements
      if (strictLow) for (let i = 0; i < x.length; i++) dx[i] = g[i] * (+(x[i] > lo) & +(x[i] < hi));
      else for (let i = 0; i < x.length; i++) dx[i] = g[i] * (+(x[i] >= lo) & +(x[i] < hi));
      return [tensor32(ctx.inputs[0]!.shape, dx)];
    },
  };
}

const reluImpl = clampImpl(() => [0, Infinity], true);
const clipImpl = clampImpl((ctx) => [ctx.inputs[1] ? ctx.inputs[1].get(0) : -Infinity, ctx.inputs[2] ? ctx.inputs[2].get(0) : Infinity], true);

const gapImpl: EngineImpl = {
  forward(ctx, ops) {
    const x = ctx.inputs[0];
    if (!f32(x) || x.rank < 3 || (ctx.attrs.layout ?? 'NCHW') !== 'NCHW') return undefined;
    const rows = x.shape[0] * x.shape[1];
    const y = ops.rowMeans(data32(x), rows, x.size / rows);
    return { outputs: [tensor32([x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], y)] };
  },
  grad(ctx, ops) {
    const x = ctx.inputs[0]!;
    const g = data32(ctx.gradOutputs[0]!);
    const rows = x.shape[0] * x.shape[1];
    const len = x.size / rows;
    const dx = ops.output(x.size);
    for (let r = 0; r < rows; r++) dx.fill(g[r] / len, r * len, (r + 1) * len);
    return [tensor32(x.shape, dx)];
  },
};

/** 2-d NCHW MaxPool without dilation or ceil_mode: forward with the argmax of every window, gradient scattered to it. */
const maxPoolImpl: EngineImpl = {
  forward(ctx, ops) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    const k = a.kernel_shape as number[];
    const dil = (a.dilations as number[] | undefined) ?? [1, 1];
    if (!f32(x) || x.rank !== 4 || ctx.node.outputs.length > 1 || (a.layout ?? 'NCHW') !== 'NCHW' || a.ceil_mode === 1 || (a.auto_pad ?? 'NOTSET') !== 'NOTSET' || dil.some((d) => d !== 1)) return undefined;
    const [n, c, h, w] = x.shape;
    const [sh, sw] = (a.strides as number[] | undefined) ?? [1, 1];
    const [pt, pl, pb, pr] = (a.pads as number[] | undefined) ?? [0, 0, 0, 0];
    const [kh, kw] = k;
    const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
    const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
    if (oh < 1 || ow < 1) return undefined;
    const xd = data32(x);
    const y = ops.output(n * c * oh * ow);
    const arg = ops.outputI32(y.length);
    let o = 0;
    if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && pt === 0 && pl === 0 && 2 * oh <= h && 2 * ow <= w) {
      // the common 2x2 / stride 2 window without padding: no bounds to check
      for (let p = 0; p < n * c; p++) {
        for (let oy = 0; oy < oh; oy++) {
          let i = p * h * w + 2 * oy * w;
          for (let ox = 0; ox < ow; ox++, i += 2) {
            let at = i;
            if (xd[i + 1] > xd[at]) at = i + 1;
            if (xd[i + w] > xd[at]) at = i + w;
            if (xd[i + w + 1] > xd[at]) at = i + w + 1;
            y[o] = xd[at];
            arg[o++] = at;
          }
        }
      }
      return { outputs: [tensor32([n, c, oh, ow], y)], data: arg };
    }
    for (let p = 0; p < n * c; p++) {
      const base = p * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = Math.max(0, oy * sh - pt);
        const y1 = Math.min(h, oy * sh - pt + kh);
        for (let ox = 0; ox < ow; ox++) {
          const x0 = Math.max(0, ox * sw - pl);
          const x1 = Math.min(w, ox * sw - pl + kw);
          let best = -Infinity;
          let at = -1;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const v = xd[base + iy * w + ix];
              if (v > best || at < 0) {
                best = v;
                at = base + iy * w + ix;
              }
            }
          }
          y[o] = best;
          arg[o++] = at;
        }
      }
    }
    return { outputs: [tensor32([n, c, oh, ow], y)], data: arg };
  },
  grad(ctx, ops, data) {
    const arg = data as Int32Array;
    const g = data32(ctx.gradOutputs[0]!);
    const dx = ops.output(ctx.inputs[0]!.size).fill(0);
    for (let i = 0; i < g.length; i++) if (arg[i] >= 0) dx[arg[i]] += g[i];
    return [tensor32(ctx.inputs[0]!.shape, dx)];
  },
};

/** Add of two same-shape tensors (residual connections): the gradient passes to both inputs unchanged. */
const addImpl: EngineImpl = {
  forward(ctx, ops) {
    const [a, b] = ctx.inputs;
    if (!f32(a) || !f32(b) || a.size !== b.size || a.shape.some((d, i) => d !== b.shape[i]) || (ctx.attrs.activation ?? 'none') !== 'none') return undefined;
    const x = data32(a);
    const z = data32(b);
    const y = ops.output(a.size);
    for (let i = 0; i < y.length; i++) y[i] = x[i] + z[i];
    return { outputs: [tensor32(a.shape, y)] };
  },
  grad: (ctx) => [ctx.needsGrad(0) ? ctx.gradOutputs[0] : undefined, ctx.needsGrad(1) ? ctx.gradOutputs[0] : undefined],
};

/**
 * The engine's rules over `ops`, by op (ops not listed keep their built-in rule).
 *
 * @example
 * ```ts
 * const rules = engineGradients(new TrainingOps(createRuntimeSync()));
 * const tape = recordForward(graph, feeds, { training: true, rules });
 * ```
 */
export function engineGradients(ops: TrainingOps): ReadonlyMap<string, GradientRule> {
  const impls: Record<string, EngineImpl> = {
    Conv: convImpl,
    Gemm: gemmImpl,
    MatMul: matmulImpl,
    BatchNormalization: batchNormImpl,
    Relu: reluImpl,
    Clip: clipImpl,
    GlobalAveragePool: gapImpl,
    MaxPool: maxPoolImpl,
    Add: addImpl,
  };
  return new Map(Object.entries(impls).map(([op, impl]) => [op, engineRule(op, ops, impl)]));
}
