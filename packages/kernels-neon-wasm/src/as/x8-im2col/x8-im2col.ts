// x8 data movement for int8 tensors: im2col through an indirection buffer (the A matrix of a
// convolution run as GEMM) and the 2-d transpose of layout conversions.

/**
 * For each of `pixels` rows, copies `ks` taps of `cg` bytes: tap t of pixel p reads from the
 * pointer at ind[p * ks + t] (plus `a_offset` unless it is the padding buffer `zero`). Copies run
 * in 8-byte words: the last word of a tap may read up to 7 bytes past it (heap slack) and write
 * up to 7 bytes past it, which the next tap overwrites (`out` needs 8 bytes of slack).
 */
export function x8_im2col(pixels: i32, ks: i32, cg: i32, ind: usize, a_offset: usize, zero: usize, out: usize): void {
  const n = pixels * ks;
  const words = (cg + 7) >> 3;
  for (let i = 0; i < n; i++) {
    let src = load<usize>(ind);
    if (src != zero) src += a_offset;
    for (let w = 0; w < words; w++) store<u64>(out + (<usize>w << 3), load<u64>(src + (<usize>w << 3)));
    out += <usize>cg;
    ind += 4;
  }
}

/** x8-transpose-scalar: for each of `n` batches, dst[c][r] = src[r][c] over rows x cols bytes. */
export function x8_transpose2d(n: i32, rows: i32, cols: i32, src: usize, dst: usize): void {
  const plane = <usize>rows * <usize>cols;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) store<u8>(dst + <usize>c * <usize>rows + <usize>r, load<u8>(src + <usize>r * <usize>cols + <usize>c));
    }
    src += plane;
    dst += plane;
  }
}
