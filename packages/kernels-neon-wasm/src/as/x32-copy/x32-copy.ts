// Strided block copies (Concat, Split, Slice with unit steps, padding), and fills.

/** Copies `rows` rows of `row_bytes` bytes from src (row stride src_stride) to dst (row stride dst_stride). */
export function x32_copy2d(rows: i32, row_bytes: usize, src: usize, src_stride: usize, dst: usize, dst_stride: usize): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(dst, src, row_bytes);
    src += src_stride;
    dst += dst_stride;
  }
}

/** Fills `n` 32-bit words at dst with `value`'s bits. */
export function x32_fill(n: i32, dst: usize, value: f32): void {
  const v = f32x4.splat(value);
  for (; n >= 4; n -= 4) {
    v128.store(dst, v);
    dst += 16;
  }
  for (; n > 0; n--) {
    store<f32>(dst, value);
    dst += 4;
  }
}
