// f32 pooling over channels-last (NHWC) data through an indirection buffer: for each output pixel,
// `ks` input pointers (one per window tap), each addressing `channels` contiguous floats.
// Max pooling: padding taps point at a valid tap of the same window (duplicates do not change a
// maximum). Average pooling: padding taps point at `zero`; `multipliers` holds 1/count per pixel.
// Loads read up to 3 floats past the last channel (the heap keeps slack after every buffer).

/**
 * f32-maxpool-simd128-4c. NaN inputs are skipped; a window of only NaN gives NaN; ties keep the
 * first tap (pmax keeps its first operand unless the second is larger).
 */
export function f32_maxpool_simd128_4c(channels: i32, output_pixels: i32, ks: i32, input: usize, input_offset: usize, output: usize, output_increment: usize): void {
  const vninf = f32x4.splat(-Infinity);
  const vnan = f32x4.splat(NaN);
  for (let p = 0; p < output_pixels; p++) {
    let coff: usize = 0;
    let c = channels;
    while (c > 0) {
      let vmax = vninf;
      let vany = i32x4.splat(0);
      for (let t = 0; t < ks; t++) {
        const v = v128.load(load<usize>(input + (<usize>t << 2)) + input_offset + coff);
        vmax = f32x4.pmax(vmax, v);
        vany = v128.or(vany, f32x4.eq(v, v));
      }
      const r = v128.bitselect(vmax, vnan, vany);
      if (c >= 4) {
        v128.store(output, r);
        output += 16;
      } else {
        let rr = r;
        if (c & 2) {
          v128.store64_lane(output, rr, 0);
          rr = v128.shuffle<f32>(rr, rr, 2, 3, 2, 3);
          output += 8;
        }
        if (c & 1) {
          v128.store32_lane(output, rr, 0);
          output += 4;
        }
      }
      coff += 16;
      c -= 4;
    }
    input += <usize>ks << 2;
    output += output_increment;
  }
}

/** f32-avgpool-simd128-4c: sum of the taps times the pixel's multiplier (padding taps read zeros). */
export function f32_avgpool_simd128_4c(channels: i32, output_pixels: i32, ks: i32, input: usize, input_offset: usize, zero: usize, multipliers: usize, output: usize, output_increment: usize, out_min: f32, out_max: f32): void {
  const vmin = f32x4.splat(out_min);
  const vmax = f32x4.splat(out_max);
  for (let p = 0; p < output_pixels; p++) {
    const vm = v128.load32_splat(multipliers + (<usize>p << 2));
    let coff: usize = 0;
    let c = channels;
    while (c > 0) {
      let vsum = f32x4.splat(0);
      for (let t = 0; t < ks; t++) {
        let ip = load<usize>(input + (<usize>t << 2));
        if (ip != zero) ip += input_offset;
        vsum = f32x4.add(vsum, v128.load(ip + coff));
      }
      const r = f32x4.pmin(f32x4.pmax(f32x4.mul(vsum, vm), vmin), vmax);
      if (c >= 4) {
        v128.store(output, r);
        output += 16;
      } else {
        let rr = r;
        if (c & 2) {
          v128.store64_lane(output, rr, 0);
          rr = v128.shuffle<f32>(rr, rr, 2, 3, 2, 3);
          output += 8;
        }
        if (c & 1) {
          v128.store32_lane(output, rr, 0);
          output += 4;
        }
      }
      coff += 16;
      c -= 4;
    }
    input += <usize>ks << 2;
    output += output_increment;
  }
}

/** f32-gavgpool-simd128-nhwc: y[n, c] = scale * sum over `pixels` rows of x[n, :, c]. */
export function f32_gavgpool_simd128_nhwc(batch: i32, pixels: i32, channels: i32, x: usize, y: usize, scale: f32): void {
  const vs = f32x4.splat(scale);
  const rowBytes = <usize>channels << 2;
  for (let n = 0; n < batch; n++) {
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      let acc = f32x4.splat(0);
      let p = x + (<usize>c << 2);
      for (let i = 0; i < pixels; i++) {
        acc = f32x4.add(acc, v128.load(p));
        p += rowBytes;
      }
      v128.store(y + (<usize>c << 2), f32x4.mul(acc, vs));
    }
    for (; c < channels; c++) {
      let acc: f32 = 0;
      let p = x + (<usize>c << 2);
      for (let i = 0; i < pixels; i++) {
        acc += load<f32>(p);
        p += rowBytes;
      }
      store<f32>(y + (<usize>c << 2), acc * scale);
    }
    x += rowBytes * <usize>pixels;
    y += rowBytes;
  }
}

/** f32-rsum-simd128: y[r] = scale * sum of the `len` contiguous floats of row r (global pooling in NCHW). */
export function f32_rsum_simd128(rows: i32, len: i32, x: usize, y: usize, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let n = len;
    for (; n >= 8; n -= 8) {
      a0 = f32x4.add(a0, v128.load(x));
      a1 = f32x4.add(a1, v128.load(x, 16));
      x += 32;
    }
    for (; n >= 4; n -= 4) {
      a0 = f32x4.add(a0, v128.load(x));
      x += 16;
    }
    a0 = f32x4.add(a0, a1);
    let s: f32 = f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
    for (; n > 0; n--) {
      s += load<f32>(x);
      x += 4;
    }
    store<f32>(y, s * scale);
    y += 4;
  }
}
