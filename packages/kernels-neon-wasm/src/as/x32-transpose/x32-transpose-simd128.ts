// 32-bit element transposes: a blocked 4x4 SIMD transpose of 2-d matrices (NCHW <-> NHWC per
// image) and a general N-d strided gather (the Transpose op).

/**
 * x32-transpose-simd128-4x4: dst[c][r] = src[r][c] for `batch` matrices of rows x cols
 * (src row stride = cols, dst row stride = rows, both dense).
 */
export function x32_transpose2d_simd128(batch: i32, rows: i32, cols: i32, src: usize, dst: usize): void {
  const srcRow = <usize>cols << 2;
  const dstRow = <usize>rows << 2;
  const plane = <usize>rows * <usize>cols << 2;
  for (let b = 0; b < batch; b++) {
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const s0 = src + <usize>r * srcRow;
      const s1 = s0 + srcRow;
      const s2 = s1 + srcRow;
      const s3 = s2 + srcRow;
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const off = <usize>c << 2;
        const a = v128.load(s0 + off);
        const b1 = v128.load(s1 + off);
        const c1 = v128.load(s2 + off);
        const d = v128.load(s3 + off);
        const ab_lo = v128.shuffle<f32>(a, b1, 0, 4, 1, 5);
        const ab_hi = v128.shuffle<f32>(a, b1, 2, 6, 3, 7);
        const cd_lo = v128.shuffle<f32>(c1, d, 0, 4, 1, 5);
        const cd_hi = v128.shuffle<f32>(c1, d, 2, 6, 3, 7);
        const o = dst + <usize>c * dstRow + (<usize>r << 2);
        v128.store(o, v128.shuffle<f32>(ab_lo, cd_lo, 0, 1, 4, 5));
        v128.store(o + dstRow, v128.shuffle<f32>(ab_lo, cd_lo, 2, 3, 6, 7));
        v128.store(o + 2 * dstRow, v128.shuffle<f32>(ab_hi, cd_hi, 0, 1, 4, 5));
        v128.store(o + 3 * dstRow, v128.shuffle<f32>(ab_hi, cd_hi, 2, 3, 6, 7));
      }
      for (; c < cols; c++) {
        const o = dst + <usize>c * dstRow + (<usize>r << 2);
        const off = <usize>c << 2;
        store<u32>(o, load<u32>(s0 + off));
        store<u32>(o, load<u32>(s1 + off), 4);
        store<u32>(o, load<u32>(s2 + off), 8);
        store<u32>(o, load<u32>(s3 + off), 12);
      }
    }
    for (; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        store<u32>(dst + <usize>c * dstRow + (<usize>r << 2), load<u32>(src + <usize>r * srcRow + (<usize>c << 2)));
      }
    }
    src += plane;
    dst += plane;
  }
}

/**
 * x32-transpose-nd: dst (dense, row-major over `shape`) gathers src with per-axis element strides.
 * `params` holds 2 x `rank` i32: shape[rank], src strides[rank]. rank <= 8.
 */
export function x32_transpose_nd(rank: i32, params: usize, src: usize, dst: usize): void {
  // idx lives in a small stack of locals via memory after params (16 x i32 scratch after the params)
  const idx = params + (<usize>rank << 3);
  let total: i32 = 1;
  for (let a = 0; a < rank; a++) {
    total *= load<i32>(params + (<usize>a << 2));
    store<i32>(idx + (<usize>a << 2), 0);
  }
  if (total == 0) return;
  const inner = load<i32>(params + (<usize>(rank - 1) << 2));
  const innerStride = <usize>load<i32>(params + (<usize>(2 * rank - 1) << 2)) << 2;
  const outerCount = total / inner;
  for (let o = 0; o < outerCount; o++) {
    // source offset of this row
    let off: usize = 0;
    for (let a = 0; a < rank - 1; a++) off += <usize>load<i32>(idx + (<usize>a << 2)) * (<usize>load<i32>(params + (<usize>(rank + a) << 2)) << 2);
    let s = src + off;
    if (innerStride == 4) {
      memory.copy(dst, s, <usize>inner << 2);
      dst += <usize>inner << 2;
    } else {
      for (let i = 0; i < inner; i++) {
        store<u32>(dst, load<u32>(s));
        s += innerStride;
        dst += 4;
      }
    }
    // increment the outer index (axes rank-2 .. 0)
    for (let a = rank - 2; a >= 0; a--) {
      const p = idx + (<usize>a << 2);
      const v = load<i32>(p) + 1;
      if (v < load<i32>(params + (<usize>a << 2))) {
        store<i32>(p, v);
        break;
      }
      store<i32>(p, 0);
    }
  }
}
