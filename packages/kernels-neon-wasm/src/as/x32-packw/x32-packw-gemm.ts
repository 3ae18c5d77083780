// Weight packing for the f32-gemm microkernels: panels of 8 columns, each [8 bias][k x 8], columns
// past n zero-padded. Element (k, n) of B is read at b + (k * ldk + n * ldn) * 4 (so a transposed B
// is packed by swapping the strides). bias = 0: zeros.

export function x32_packw_gemm_8(k: i32, n: i32, b: usize, ldk: i32, ldn: i32, bias: usize, out: usize): void {
  const sk = <usize>ldk << 2;
  const sn = <usize>ldn << 2;
  for (let n0 = 0; n0 < n; n0 += 8) {
    const cols = min(8, n - n0);
    for (let j = 0; j < 8; j++) store<f32>(out + (<usize>j << 2), bias != 0 && j < cols ? load<f32>(bias + (<usize>(n0 + j) << 2)) : 0);
    out += 32;
    const base = b + <usize>n0 * sn;
    if (cols == 8 && ldn == 1) {
      for (let kk = 0; kk < k; kk++) {
        const row = base + <usize>kk * sk;
        v128.store(out, v128.load(row));
        v128.store(out, v128.load(row, 16), 16);
        out += 32;
      }
    } else {
      for (let kk = 0; kk < k; kk++) {
        const row = base + <usize>kk * sk;
        for (let j = 0; j < 8; j++) store<f32>(out + (<usize>j << 2), j < cols ? load<f32>(row + <usize>j * sn) : 0);
        out += 32;
      }
    }
  }
}
