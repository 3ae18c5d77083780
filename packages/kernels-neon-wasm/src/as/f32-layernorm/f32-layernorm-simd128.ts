// f32 layer normalization over rows of `len` contiguous floats:
// y = (x - mean) / sqrt(var + eps) * scale + bias, scale/bias of length `len` (bias may be 0).
// Mean and variance are computed in two passes (sum, then sum of squared deviations).

@inline function hsum(v: v128): f32 {
  const a = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const b = f32x4.add(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

export function f32_layernorm_simd128(rows: i32, len: i32, x: usize, scale: usize, bias: usize, y: usize, eps: f32): void {
  const rowBytes = <usize>len << 2;
  for (let r = 0; r < rows; r++) {
    // mean
    let v0 = f32x4.splat(0);
    let v1 = f32x4.splat(0);
    let n = len;
    let p = x;
    for (; n >= 8; n -= 8) {
      v0 = f32x4.add(v0, v128.load(p));
      v1 = f32x4.add(v1, v128.load(p, 16));
      p += 32;
    }
    let s = hsum(f32x4.add(v0, v1));
    for (; n > 0; n--) {
      s += load<f32>(p);
      p += 4;
    }
    const mean: f32 = s / <f32>len;
    const vmean = f32x4.splat(mean);
    // variance
    v0 = f32x4.splat(0);
    n = len;
    p = x;
    for (; n >= 4; n -= 4) {
      const d = f32x4.sub(v128.load(p), vmean);
      v0 = f32x4.add(v0, f32x4.mul(d, d));
      p += 16;
    }
    let q = hsum(v0);
    for (; n > 0; n--) {
      const d = load<f32>(p) - mean;
      q += d * d;
      p += 4;
    }
    const inv: f32 = <f32>(1.0 / Math.sqrt(<f64>(q / <f32>len) + <f64>eps));
    const vinv = f32x4.splat(inv);
    n = len;
    p = x;
    let py = y;
    let ps = scale;
    let pb = bias;
    if (bias != 0) {
      for (; n >= 4; n -= 4) {
        const t = f32x4.mul(f32x4.sub(v128.load(p), vmean), vinv);
        v128.store(py, f32x4.add(f32x4.mul(t, v128.load(ps)), v128.load(pb)));
        p += 16; py += 16; ps += 16; pb += 16;
      }
      for (; n > 0; n--) {
        store<f32>(py, (load<f32>(p) - mean) * inv * load<f32>(ps) + load<f32>(pb));
        p += 4; py += 4; ps += 4; pb += 4;
      }
    } else {
      for (; n >= 4; n -= 4) {
        const t = f32x4.mul(f32x4.sub(v128.load(p), vmean), vinv);
        v128.store(py, f32x4.mul(t, v128.load(ps)));
        p += 16; py += 16; ps += 16;
      }
      for (; n > 0; n--) {
        store<f32>(py, (load<f32>(p) - mean) * inv * load<f32>(ps));
        p += 4; py += 4; ps += 4;
      }
    }
    x += rowBytes;
    y += rowBytes;
  }
}
