// The wasm module's exports: every microkernel of the package. Names use underscores
// (f32_gemm_simd128_4x8); the TypeScript variant lists map them to the canonical kernel names
// (f32-gemm-simd128-4x8).
export * from './generated-exports';
export { heap_base } from './common/math';
export { f32_vunary_simd128, f32_vaffine_channels_simd128 } from './f32-vunary/f32-vunary-simd128';
export { f32_maxpool_simd128_4c, f32_avgpool_simd128_4c, f32_gavgpool_simd128_nhwc, f32_rsum_simd128 } from './f32-pool/f32-pool-simd128';
export { f32_softmax_simd128, f32_softmax_strided_simd128 } from './f32-softmax/f32-softmax-simd128';
export { f32_layernorm_simd128 } from './f32-layernorm/f32-layernorm-simd128';
export { x32_transpose2d_simd128, x32_transpose_nd } from './x32-transpose/x32-transpose-simd128';
export { x32_copy2d, x32_fill } from './x32-copy/x32-copy';
export { x32_packw_gemm_8 } from './x32-packw/x32-packw-gemm';
export { qs8_vadd_simd128 } from './qs8-vadd/qs8-vadd-simd128';
export { f32_qs8_vcvt_simd128, qs8_f32_vcvt_simd128 } from './qs8-vcvt/qs8-vcvt-simd128';
export { qs8_gavgpool_scalar_nhwc } from './qs8-gavgpool/qs8-gavgpool-scalar';
export { x8_im2col, x8_transpose2d } from './x8-im2col/x8-im2col';
