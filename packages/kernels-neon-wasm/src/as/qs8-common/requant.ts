// Requantization of int32 accumulators to int8, shared by the qs8 microkernels. Bit-exact with the
// @mo/ir reference interpreter (`requantize` of core/quant):
//   mode 0 'float' (ONNX):        round_half_even(f32(acc) * f32 multiplier) + zero point
//   mode 1 'fixed-point' (TFLite): RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(
//                                  sat(acc << left), M), right) + zero point
//   mode 2 'fixed-point' when no channel has a left shift (left = 0 everywhere)
// then clamped to [qmin, qmax] (the output range intersected with the fused activation).
//
// Per-channel parameters come in blocks of 4 lanes, QS8_PARAMS_BYTES each (written by the
// TypeScript packers, src/operators/qs8-params.ts):
//   +0  f32x4  float multiplier
//   +16 i32x4  lo: acc is clamped to [lo, hi] so that acc * pow == sat(acc << left) after clamping
//   +32 i32x4  hi     (reference saturates at INT32_MAX; 2^31 - 2^left gives the same clamped output)
//   +48 i32x4  pow = 2^left
//   +64 i32x4  M, the Q31 multiplier
//   +80 f64x2  2^-right of lanes 0, 1
//   +96 f64x2  2^-right of lanes 2, 3
// The rounding divide by 2^right is done in float64, where x * 2^-right is exact for int32 x and
// round-half-away-from-zero is sign(v) * floor(|v| + 0.5) (exact too).

export const QS8_PARAMS_BYTES: usize = 112;

/**
 * Requantizes 4 int32 accumulators with the parameter block at `p`: returns round(acc x
 * multiplier) per the mode, before the zero point, saturated to int32 (pack8 finishes).
 */
@inline export function requant4(acc: v128, p: usize, mode: i32): v128 {
  if (mode == 0) {
    // round half to even by the magic number 1.5 * 2^23 (exact below 2^22 in magnitude; larger
    // values are clamped first and saturate in pack8 either way): cheaper than nearest + trunc_sat
    let f = f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(p));
    f = f32x4.pmin(f32x4.pmax(f, f32x4.splat(-4194304.0)), f32x4.splat(4194304.0));
    return i32x4.sub(f32x4.add(f, f32x4.splat(12582912.0)), i32x4.splat(0x4B400000));
  }
  let a = acc;
  // mode 2: no multiplier of the layer is >= 1, so there is no left shift to saturate
  if (mode == 1) a = i32x4.mul(i32x4.min_s(i32x4.max_s(acc, v128.load(p, 16)), v128.load(p, 32)), v128.load(p, 48));
  const m = v128.load(p, 64);
  const nudge = i64x2.splat(1 << 30);
  // SaturatingRoundingDoublingHighMul: (a * M + 2^30) >> 31 (floor) equals the C truncating
  // division of (a * M + nudge) by 2^31 for either sign of the product. The result fits int32:
  // it is the high 32 bits of (a * M + 2^30) << 1 (x86 has no 64-bit arithmetic shift right).
  let lo = i64x2.add(i64x2.extmul_low_i32x4_s(a, m), nudge);
  let hi = i64x2.add(i64x2.extmul_high_i32x4_s(a, m), nudge);
  lo = i64x2.add(lo, lo);
  hi = i64x2.add(hi, hi);
  const x = v128.shuffle<i32>(lo, hi, 1, 3, 5, 7);
  const sign = i64x2.splat(0x8000000000000000);
  const half = f64x2.splat(0.5);
  // 1.5 * 2^52: adding it to an integer-valued double below 2^51 in magnitude leaves the integer's
  // two's complement in the low 32 bits of the mantissa
  const magic = f64x2.splat(6755399441055744.0);
  let d0 = f64x2.mul(f64x2.convert_low_i32x4_s(x), v128.load(p, 80));
  let d1 = f64x2.mul(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(x, x, 2, 3, 2, 3)), v128.load(p, 96));
  d0 = v128.or(f64x2.floor(f64x2.add(f64x2.abs(d0), half)), v128.and(d0, sign));
  d1 = v128.or(f64x2.floor(f64x2.add(f64x2.abs(d1), half)), v128.and(d1, sign));
  return v128.shuffle<i32>(f64x2.add(d0, magic), f64x2.add(d1, magic), 0, 2, 4, 6);
}

/**
 * Adds the zero point and clamps 8 requantized lanes (two requant4 results) into int8 lanes 0..7:
 * saturating narrow to int16, saturating add of the zero point, saturating narrow to int8, then
 * the [qmin, qmax] clamp. Every step is monotonic and saturates only far outside [-128, 127], so
 * this equals the reference's clamp(r + zero point, qmin, qmax).
 */
@inline export function pack8(r0: v128, r1: v128, vzp: v128, vmin: v128, vmax: v128): v128 {
  const h = i16x8.add_sat_s(i16x8.narrow_i32x4_s(r0, r1), vzp);
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), vmin), vmax);
}
