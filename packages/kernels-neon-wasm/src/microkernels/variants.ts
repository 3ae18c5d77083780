/**
 * The variant lists of the handwritten microkernels, and dispatch helpers over all lists. The
 * generated lists (GEMM, IGEMM, depthwise) come from scripts/gen-microkernels.mjs.
 */
import type { DwconvVariant, GemmVariant, MicrokernelVariant } from './types.js';
import { F32_DWCONV_VARIANTS, F32_GEMM_VARIANTS, F32_IGEMM_VARIANTS, F32_VBINARY_OPS, QS8_DWCONV_VARIANTS, QS8_GEMM_VARIANTS } from './generated-variants.js';

export { F32_DWCONV_VARIANTS, F32_GEMM_VARIANTS, F32_IGEMM_VARIANTS, F32_VBINARY_OPS, QS8_DWCONV_VARIANTS, QS8_GEMM_VARIANTS };

/** Op codes of f32-vunary-simd128 (keep in sync with src/as/f32-vunary). */
export const F32_VUNARY_OPS = Object.freeze({
  clamp: 0,
  leakyRelu: 1,
  hardSwish: 2,
  hardSigmoid: 3,
  sigmoid: 4,
  tanh: 5,
  gelu: 6,
  geluTanh: 7,
  neg: 8,
  abs: 9,
  sqrt: 10,
  square: 11,
  exp: 12,
  affine: 13,
} as const);
export type VunaryOp = keyof typeof F32_VUNARY_OPS;

const v = (name: string, symbol: string): MicrokernelVariant => Object.freeze({ name, isa: 'simd128', symbol });

/** Unary elementwise (one kernel, op code selects the function). */
export const F32_VUNARY_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-vunary-simd128-4x', 'f32_vunary_simd128')]);
/** Binary elementwise with 4-d broadcasting. */
export const F32_VBINARY_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-vbinary-simd128-nd', 'f32_vbinary_simd128_nd')]);
/** Per-channel affine over NHWC rows (BatchNormalization). */
export const F32_VAFFINE_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-vaffinec-simd128-4c', 'f32_vaffine_channels_simd128')]);
export const F32_MAXPOOL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-maxpool-simd128-4c', 'f32_maxpool_simd128_4c')]);
export const F32_AVGPOOL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-avgpool-simd128-4c', 'f32_avgpool_simd128_4c')]);
export const F32_GAVGPOOL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([
  v('f32-gavgpool-simd128-nhwc4c', 'f32_gavgpool_simd128_nhwc'),
  v('f32-gavgpool-simd128-nchw8x', 'f32_rsum_simd128'),
]);
export const F32_SOFTMAX_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([
  v('f32-softmax-simd128-rows', 'f32_softmax_simd128'),
  v('f32-softmax-simd128-strided4', 'f32_softmax_strided_simd128'),
]);
export const F32_LAYERNORM_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-layernorm-simd128-8x', 'f32_layernorm_simd128')]);
export const X32_TRANSPOSE_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([
  v('x32-transpose-simd128-4x4', 'x32_transpose2d_simd128'),
  v('x32-transpose-scalar-nd', 'x32_transpose_nd'),
]);
export const X32_COPY_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('x32-copy-scalar-2d', 'x32_copy2d')]);
export const X32_FILL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('x32-fill-simd128-4x', 'x32_fill')]);
export const X32_PACKW_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('x32-packw-scalar-gemm8', 'x32_packw_gemm_8')]);
/** int8: quantized Add, float32 <-> int8 conversions, global average pooling, im2col and transpose. */
export const QS8_VADD_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('qs8-vadd-simd128-8x', 'qs8_vadd_simd128')]);
export const F32_QS8_VCVT_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('f32-qs8-vcvt-simd128-8x', 'f32_qs8_vcvt_simd128')]);
export const QS8_F32_VCVT_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('qs8-f32-vcvt-simd128-8x', 'qs8_f32_vcvt_simd128')]);
export const QS8_GAVGPOOL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('qs8-gavgpool-scalar-nhwc', 'qs8_gavgpool_scalar_nhwc')]);
export const X8_IM2COL_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('x8-im2col-scalar-8b', 'x8_im2col')]);
export const X8_TRANSPOSE_VARIANTS: readonly MicrokernelVariant[] = Object.freeze([v('x8-transpose-scalar-2d', 'x8_transpose2d')]);

/**
 * Every microkernel of the package, by op.
 *
 * @example
 * ```ts
 * for (const [op, list] of Object.entries(MICROKERNELS)) console.log(op, list.map((k) => k.name));
 * ```
 */
export const MICROKERNELS: Readonly<Record<string, readonly MicrokernelVariant[]>> = Object.freeze({
  'f32-gemm': F32_GEMM_VARIANTS,
  'f32-igemm': F32_IGEMM_VARIANTS,
  'f32-dwconv': F32_DWCONV_VARIANTS,
  'f32-vunary': F32_VUNARY_VARIANTS,
  'f32-vbinary': F32_VBINARY_VARIANTS,
  'f32-vaffinec': F32_VAFFINE_VARIANTS,
  'f32-maxpool': F32_MAXPOOL_VARIANTS,
  'f32-avgpool': F32_AVGPOOL_VARIANTS,
  'f32-gavgpool': F32_GAVGPOOL_VARIANTS,
  'f32-softmax': F32_SOFTMAX_VARIANTS,
  'f32-layernorm': F32_LAYERNORM_VARIANTS,
  'x32-transpose': X32_TRANSPOSE_VARIANTS,
  'x32-copy': X32_COPY_VARIANTS,
  'x32-fill': X32_FILL_VARIANTS,
  'x32-packw': X32_PACKW_VARIANTS,
  'qs8-gemm': QS8_GEMM_VARIANTS,
  'qs8-dwconv': QS8_DWCONV_VARIANTS,
  'qs8-vadd': QS8_VADD_VARIANTS,
  'f32-qs8-vcvt': F32_QS8_VCVT_VARIANTS,
  'qs8-f32-vcvt': QS8_F32_VCVT_VARIANTS,
  'qs8-gavgpool': QS8_GAVGPOOL_VARIANTS,
  'x8-im2col': X8_IM2COL_VARIANTS,
  'x8-transpose': X8_TRANSPOSE_VARIANTS,
});

/** MR of the default GEMM tile for large problems (the 4x8 tile: 8 accumulators, no spills on x64 or arm64). */
export const DEFAULT_GEMM_MR = 4;

/**
 * The GEMM (or IGEMM) variant for `m` rows: the default tile when m >= its MR, otherwise the tile
 * with exactly m rows (no rows computed twice).
 *
 * @example
 * ```ts
 * selectGemmVariant(F32_GEMM_VARIANTS, 256).name; // 'f32-gemm-simd128-4x8'
 * selectGemmVariant(F32_GEMM_VARIANTS, 2).name; // 'f32-gemm-simd128-2x8'
 * ```
 */
export function selectGemmVariant(list: readonly GemmVariant[], m: number, preferMr = DEFAULT_GEMM_MR): GemmVariant {
  const want = Math.max(1, Math.min(m, preferMr));
  return list.find((k) => k.mr === want) ?? list.find((k) => k.mr === preferMr) ?? list[0];
}

/** The depthwise variant for `taps` taps: the specialised one when there is one, else the looped one. */
export function selectDwconvVariant(taps: number, channels: number): DwconvVariant {
  const ch = channels <= 4 ? 4 : 8;
  return (
    F32_DWCONV_VARIANTS.find((k) => k.taps === taps && k.channels === ch) ??
    F32_DWCONV_VARIANTS.find((k) => k.taps === taps) ??
    F32_DWCONV_VARIANTS.find((k) => k.taps === 0)!
  );
}
