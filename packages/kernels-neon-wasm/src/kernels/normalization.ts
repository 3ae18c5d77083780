/** Softmax / LogSoftmax, LayerNormalization and (inference) BatchNormalization. */
import type { KernelRegistration } from '../session/registry.js';
import { needF32, normalizeAxis, prod, releaseHeapBlock, shapeOf } from './util.js';

function softmaxKernel(op: 'Softmax' | 'LogSoftmax'): KernelRegistration {
  const log = op === 'LogSoftmax' ? 1 : 0;
  return {
    name: `wasm/${op}`,
    op,
    priority: 10,
    plan(ctx) {
      const bad = needF32(ctx, 0);
      if (bad) return bad;
      const xs = shapeOf(ctx.inputs[0]);
      if (xs.length === 0) return 'scalar input';
      const axis = normalizeAxis(ctx.attrs.axis as number, xs.length);
      const outer = prod(xs.slice(0, axis));
      const len = xs[axis];
      const inner = prod(xs.slice(axis + 1));
      const rt = ctx.runtime;
      if (inner === 1) {
        return {
          inputs: ['plain'],
          outputs: ['plain'],
          ukernel: 'f32-softmax-simd128-rows',
          bind: (b) => {
            const f = rt.fn('f32_softmax_simd128');
            const x = b.input(0);
            const y = b.output(0);
            return () => f(outer, len, x, y, log);
          },
        };
      }
      return {
        inputs: ['plain'],
        outputs: ['plain'],
        ukernel: 'f32-softmax-simd128-strided4',
        bind: (b) => {
          const f = rt.fn('f32_softmax_strided_simd128');
          const x = b.input(0);
          const y = b.output(0);
          return () => f(outer, len, inner, x, y, log);
        },
      };
    },
  };
}

export const softmaxKernels: KernelRegistration[] = [softmaxKernel('Softmax'), softmaxKernel('LogSoftmax')];

export const layerNormKernel: KernelRegistration = {
  name: 'wasm/LayerNormalization',
  op: 'LayerNormalization',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0, 1, 2);
    if (bad) return bad;
    if (ctx.node.outputs.slice(1).some(Boolean)) return 'the Mean / InvStdDev outputs are not supported';
    if (ctx.attrs.stash_type !== 1) return 'stash_type other than float32';
    const xs = shapeOf(ctx.inputs[0]);
    const axis = normalizeAxis(ctx.attrs.axis as number, xs.length);
    const rows = prod(xs.slice(0, axis));
    const len = prod(xs.slice(axis));
    for (const i of [1, 2]) {
      const t = ctx.inputs[i];
      if (!t) continue;
      if (prod(shapeOf(t)) !== len) return `input ${i} does not have one value per normalized element (only that broadcast has a kernel)`;
    }
    const hasBias = !!ctx.inputs[2];
    const eps = ctx.attrs.epsilon as number;
    const rt = ctx.runtime;
    return {
      inputs: ['plain', 'plain', hasBias ? 'plain' : 'ignore'],
      outputs: ['plain'],
      ukernel: 'f32-layernorm-simd128-8x',
      bind: (b) => {
        const f = rt.fn('f32_layernorm_simd128');
        const x = b.input(0);
        const s = b.input(1);
        const bias = hasBias ? b.input(2) : 0;
        const y = b.output(0);
        return () => f(rows, len, x, s, bias, y, eps);
      },
    };
  },
};

export const batchNormKernel: KernelRegistration = {
  name: 'wasm/BatchNormalization',
  op: 'BatchNormalization',
  priority: 10,
  plan(ctx) {
    const bad = needF32(ctx, 0);
    if (bad) return bad;
    if (ctx.attrs.training_mode === 1) return 'training mode';
    const params = [1, 2, 3, 4].map((i) => ctx.constant(i));
    if (params.some((p) => !p)) return 'scale / B / mean / var are not constants';
    const [scale, bias, mean, variance] = params.map((p) => p!.toFloat32());
    const xs = shapeOf(ctx.inputs[0]);
    const c = xs[1];
    const eps = ctx.attrs.epsilon as number;
    const rt = ctx.runtime;
    const sb = ctx.cached(`bn|${ctx.node.name}`, () => {
      const s = new Float32Array(c);
      const t = new Float32Array(c);
      for (let i = 0; i < c; i++) {
        s[i] = scale[i] / Math.sqrt(variance[i] + eps);
        t[i] = bias[i] - mean[i] * s[i];
      }
      const p = rt.heap.alloc(8 * c);
      rt.heap.writeF32(p, s);
      rt.heap.writeF32(p + 4 * c, t);
      return p;
    }, releaseHeapBlock(rt));
    // channels-last rows of C (a rank-2 [N, C] input already is)
    const layout = xs.length >= 3 ? 'cl' : 'plain';
    const rows = prod(xs) / c;
    return {
      inputs: [layout, 'const', 'const', 'const', 'const'],
      outputs: [layout],
      ukernel: 'f32-vaffinec-simd128-4c',
      bind: (b) => {
        const f = rt.fn('f32_vaffine_channels_simd128');
        const x = b.input(0);
        const y = b.output(0);
        return () => f(rows, c, x, sb, sb + 4 * c, y, -Infinity, Infinity);
      },
    };
  },
};
