/**
 * Sliding-window geometry for the Conv and pool gradients, read back from a node's attributes and
 * the shapes its forward actually produced. Follows the IR's window semantics: explicit pads with
 * auto_pad NOTSET, SAME_UPPER/SAME_LOWER (odd padding at the end / the start), VALID; the output
 * size is taken from the forward output, so ceil_mode needs no special case here. Rules work on
 * three spatial axes (1-D and 2-D windows get leading axes of size 1).
 */
import { UnsupportedOpError, type ResolvedAttrs, type Tensor } from '@mo/ir';
import { permute } from '../autodiff/array.js';
import type { GradContext } from '../autodiff/registry.js';

/** Geometry over exactly three spatial axes. */
export interface Window3 {
  readonly inSize: readonly [number, number, number];
  readonly outSize: readonly [number, number, number];
  readonly kernel: readonly [number, number, number];
  readonly strides: readonly [number, number, number];
  readonly dilations: readonly [number, number, number];
  readonly padBegin: readonly [number, number, number];
  readonly padEnd: readonly [number, number, number];
}

const pad3 = (v: readonly number[], fill: number): [number, number, number] => {
  const out = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [out[0], out[1], out[2]];
};

/**
 * Window geometry of a node from its attributes, the input and output spatial sizes and the
 * kernel size. Throws UnsupportedOpError for more than three spatial axes.
 */
export function windowOf(ctx: GradContext, inSpatial: readonly number[], outSpatial: readonly number[], kernel: readonly number[], useDilations = true): Window3 {
  const rank = inSpatial.length;
  if (rank > 3) throw new UnsupportedOpError(`gradients of ${ctx.node.op} support up to 3 spatial dims, got ${rank}`, { node: ctx.node.name, op: ctx.node.op });
  const attrs: ResolvedAttrs = ctx.attrs;
  const strides = (attrs.strides as readonly number[] | undefined) ?? new Array<number>(rank).fill(1);
  const dilations = useDilations ? ((attrs.dilations as readonly number[] | undefined) ?? new Array<number>(rank).fill(1)) : new Array<number>(rank).fill(1);
  const autoPad = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  const pads = (attrs.pads as readonly number[] | undefined) ?? new Array<number>(2 * rank).fill(0);
  const begin: number[] = [];
  const end: number[] = [];
  for (let a = 0; a < rank; a++) {
    const extent = (kernel[a] - 1) * dilations[a] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(inSpatial[a] / strides[a]);
      const total = Math.max(0, (out - 1) * strides[a] + extent - inSpatial[a]);
      const small = Math.floor(total / 2);
      const b = autoPad === 'SAME_UPPER' ? small : total - small;
      begin.push(b);
      end.push(total - b);
    } else if (autoPad === 'VALID') {
      begin.push(0);
      end.push(0);
    } else {
      begin.push(pads[a]);
      end.push(pads[a + rank]);
    }
  }
  return {
    inSize: pad3(inSpatial, 1),
    outSize: pad3(outSpatial, 1),
    kernel: pad3(kernel, 1),
    strides: pad3(strides, 1),
    dilations: pad3(dilations, 1),
    padBegin: pad3(begin, 0),
    padEnd: pad3(end, 0),
  };
}

/**
 * The range [lo, hi] of output positions o on one axis for which kernel tap k reads an input
 * position inside [0, inSize): o * stride - padBegin + k * dilation in range.
 */
export function validRange(w: Window3, axis: number, k: number): [number, number] {
  const s = w.strides[axis];
  const off = k * w.dilations[axis] - w.padBegin[axis];
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(w.outSize[axis] - 1, Math.floor((w.inSize[axis] - 1 - off) / s));
  return [lo, hi];
}

/** Permutation from NHWC ([N, D1.., C]) to NCHW ([N, C, D1..]) for a rank-r tensor. */
export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Permutation from NCHW back to NHWC. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** `t` as NCHW when the node's layout is NHWC (else `t`). */
export function asNchw(ctx: GradContext, t: Tensor): Tensor {
  return ctx.attrs.layout === 'NHWC' ? permute(t, toChannelsFirst(t.rank)) : t;
}

/** A gradient computed in NCHW, back in the node's layout. */
export function fromNchw(ctx: GradContext, t: Tensor): Tensor {
  return ctx.attrs.layout === 'NHWC' ? permute(t, toChannelsLast(t.rank)) : t;
}
