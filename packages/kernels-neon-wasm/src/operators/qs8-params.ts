/**
 * Requantization parameters of the qs8 microkernels (see src/as/qs8-common/requant.ts): per output
 * channel, derived from the real multipliers exactly as the @mo/ir reference interpreter derives
 * them, so that kernel outputs equal the reference's bit for bit.
 */
import { ArgumentError, quantRange, quantizeMultiplier, roundHalfEven, type DType, type RequantMode } from '@mo/ir';

/** Bytes of one requantization block (4 channels). */
export const QS8_PARAMS_BYTES = 112;

/**
 * The microkernels' requantization code for `mode` and these multipliers: 0 float, 1 fixed-point,
 * 2 fixed-point where no multiplier needs a left shift (>= 1), which skips the shift's clamp.
 */
export function requantCode(mode: RequantMode, multipliers: ArrayLike<number>): number {
  if (mode === 'float') return 0;
  for (let i = 0; i < multipliers.length; i++) if (quantizeMultiplier(multipliers[i]).shift > 0) return 1;
  return 2;
}

/**
 * Writes the requantization blocks of channels [c0, c0 + 4 * blocks) into `view` at byte `offset`
 * (channels past `multipliers.length` get multiplier 0). `multipliers` are the real multipliers
 * the reference uses: float32 values for 'float', doubles for 'fixed-point' (only the fields of
 * `mode` are written).
 */
export function writeRequantBlocks(view: DataView, offset: number, mode: RequantMode, multipliers: ArrayLike<number>, c0: number, blocks: number): void {
  for (let b = 0; b < blocks; b++) {
    const o = offset + b * QS8_PARAMS_BYTES;
    for (let l = 0; l < 4; l++) {
      const c = c0 + b * 4 + l;
      const real = c < multipliers.length ? multipliers[c] : 0;
      view.setFloat32(o + l * 4, real, true);
      if (mode === 'float') continue;
      const { multiplier, shift } = quantizeMultiplier(real);
      const left = shift > 0 ? shift : 0;
      const right = shift > 0 ? 0 : -shift;
      // acc clamped to [lo, hi] then times 2^left never overflows int32 (see requant.ts)
      view.setInt32(o + 16 + l * 4, -(2 ** (31 - left)), true);
      view.setInt32(o + 32 + l * 4, 2 ** (31 - left) - 1, true);
      view.setInt32(o + 48 + l * 4, 2 ** left, true);
      view.setInt32(o + 64 + l * 4, multiplier, true);
      view.setFloat64(o + 80 + l * 8, 2 ** -right, true);
    }
  }
}

/** The clamp of a requantized output: the dtype's range intersected with a fused Relu / Clip. */
export interface QuantClamp {
  readonly qmin: number;
  readonly qmax: number;
}

/**
 * QLinearConv's quantized-domain activation (the reference's quantizedActivationRange): Relu clamps
 * at the zero point, Clip [a, b] at zp + round_half_even(f32(f32(a) / f32(scale))).
 */
export function quantClamp(dtype: DType, activation: string | undefined, params: readonly number[] | undefined, yScale: number, yZero: number): QuantClamp {
  const { qmin, qmax } = quantRange(dtype);
  const q = (v: number) => (Number.isFinite(v) ? yZero + roundHalfEven(Math.fround(Math.fround(v) / Math.fround(yScale))) : v);
  switch (activation ?? 'none') {
    case 'none':
      return { qmin, qmax };
    case 'Relu':
      return { qmin: Math.max(qmin, yZero), qmax };
    case 'Clip': {
      const [a, b] = params && params.length ? params : [-Infinity, Infinity];
      return { qmin: Math.max(qmin, q(a)), qmax: Math.min(qmax, q(b)) };
    }
    default:
      throw new ArgumentError(`activation '${activation}' has no quantized clamp; expected none, Relu or Clip`);
  }
}
