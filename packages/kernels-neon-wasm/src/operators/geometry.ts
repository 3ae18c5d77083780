/**
 * Sliding-window geometry (Conv and pooling) for the NHWC kernels: output sizes and the padding
 * actually applied per spatial axis, following the ONNX rules the @mo/ir reference implements
 * (explicit pads with floor or ceil, SAME_UPPER / SAME_LOWER, VALID).
 */
import { ShapeError } from '@mo/ir';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface AxisGeometry {
  readonly out: number;
  readonly padBegin: number;
  readonly padEnd: number;
}

export function windowAxis(inSize: number, kernel: number, stride: number, dilation: number, autoPad: AutoPad, padBegin: number, padEnd: number, ceilMode: boolean): AxisGeometry {
  const ek = (kernel - 1) * dilation + 1;
  switch (autoPad) {
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const out = Math.ceil(inSize / stride);
      const total = Math.max(0, (out - 1) * stride + ek - inSize);
      const small = Math.floor(total / 2);
      const begin = autoPad === 'SAME_UPPER' ? small : total - small;
      return { out, padBegin: begin, padEnd: total - begin };
    }
    case 'VALID':
      if (inSize < ek) throw new ShapeError(`spatial size ${inSize} is smaller than the kernel extent ${ek}`);
      return { out: Math.floor((inSize - ek) / stride) + 1, padBegin: 0, padEnd: 0 };
    default: {
      const span = inSize + padBegin + padEnd - ek;
      if (span < 0) throw new ShapeError(`spatial size ${inSize} (padded ${inSize + padBegin + padEnd}) is smaller than the kernel extent ${ek}`);
      let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
      if (ceilMode && (out - 1) * stride >= inSize + padBegin) out--;
      return { out, padBegin, padEnd };
    }
  }
}

/** A 2-d window over an NHWC image. */
export interface Window2d {
  readonly n: number;
  readonly ih: number;
  readonly iw: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Padded extent (input + both pads): taps at or beyond it are outside even the padding (ceil_mode). */
  readonly paddedH: number;
  readonly paddedW: number;
}

export interface WindowAttrs {
  readonly kernel: readonly number[];
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  readonly pads?: readonly number[];
  readonly autoPad?: string;
  readonly ceilMode?: boolean;
}

/** The 2-d geometry for spatial dims [ih, iw] (1-d windows are 2-d with height 1). */
export function window2d(n: number, spatial: readonly number[], a: WindowAttrs): Window2d {
  const rank = spatial.length;
  const ones = new Array<number>(rank).fill(1);
  const strides = a.strides ?? ones;
  const dilations = a.dilations ?? ones;
  const pads = a.pads ?? new Array<number>(2 * rank).fill(0);
  const autoPad = (a.autoPad ?? 'NOTSET') as AutoPad;
  const axes = spatial.map((d, i) => windowAxis(d, a.kernel[i], strides[i], dilations[i], autoPad, pads[i], pads[i + rank], a.ceilMode ?? false));
  if (rank === 1) {
    const x = axes[0];
    return { n, ih: 1, iw: spatial[0], oh: 1, ow: x.out, kh: 1, kw: a.kernel[0], sh: 1, sw: strides[0], dh: 1, dw: dilations[0], padTop: 0, padLeft: x.padBegin, paddedH: 1, paddedW: spatial[0] + x.padBegin + x.padEnd };
  }
  const [y, x] = axes;
  return {
    n, ih: spatial[0], iw: spatial[1], oh: y.out, ow: x.out, kh: a.kernel[0], kw: a.kernel[1], sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1],
    padTop: y.padBegin, padLeft: x.padBegin, paddedH: spatial[0] + y.padBegin + y.padEnd, paddedW: spatial[1] + x.padBegin + x.padEnd,
  };
}

/** Where tap (ky, kx) of output (oy, ox) reads: 'in' with the input pixel, 'pad', or 'outside' (beyond the padding, ceil_mode). */
export function tapOf(g: Window2d, oy: number, ox: number, ky: number, kx: number): { kind: 'in' | 'pad' | 'outside'; iy: number; ix: number } {
  const py = oy * g.sh + ky * g.dh; // position in padded coordinates
  const px = ox * g.sw + kx * g.dw;
  const iy = py - g.padTop;
  const ix = px - g.padLeft;
  if (py >= g.paddedH || px >= g.paddedW) return { kind: 'outside', iy, ix };
  if (iy < 0 || iy >= g.ih || ix < 0 || ix >= g.iw) return { kind: 'pad', iy, ix };
  return { kind: 'in', iy, ix };
}

/**
 * The input pixel (iy * iw + ix) that tap (ky, kx) of output (oy, ox) reads, or -1 for padding:
 * `tapOf` without an object per tap (indirection buffers of large layers have ~10^5-10^6 taps).
 */
export function tapPixel(g: Window2d, oy: number, ox: number, ky: number, kx: number): number {
  const iy = oy * g.sh + ky * g.dh - g.padTop;
  const ix = ox * g.sw + kx * g.dw - g.padLeft;
  return iy < 0 || iy >= g.ih || ix < 0 || ix >= g.iw ? -1 : iy * g.iw + ix;
}
