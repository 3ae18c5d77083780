// Conversions between float32 and int8 with the reference interpreter's rules:
// qs8-f32-vcvt (DequantizeLinear): y = f32(q - zp) * scale, one float32 multiply;
// f32-qs8-vcvt (QuantizeLinear): y = saturate(round_half_even(f32(x / scale)) + zp), a float32
// division; NaN gives the zero point (trunc_sat maps NaN to 0).

/** f32-qs8-vcvt-simd128-8x */
export function f32_qs8_vcvt_simd128(n: i32, x: usize, y: usize, scale: f32, zp: i32, qmin: i32, qmax: i32): void {
  const vs = f32x4.splat(scale);
  const vz = i32x4.splat(zp);
  const vlo = f32x4.splat(<f32>(qmin - zp)), vhi = f32x4.splat(<f32>(qmax - zp));
  for (; n >= 8; n -= 8) {
    const r0 = f32x4.pmin(f32x4.pmax(f32x4.nearest(f32x4.div(v128.load(x), vs)), vlo), vhi);
    const r1 = f32x4.pmin(f32x4.pmax(f32x4.nearest(f32x4.div(v128.load(x, 16), vs)), vlo), vhi);
    const h = i16x8.narrow_i32x4_s(i32x4.add(i32x4.trunc_sat_f32x4_s(r0), vz), i32x4.add(i32x4.trunc_sat_f32x4_s(r1), vz));
    v128.store64_lane(y, i8x16.narrow_i16x8_s(h, h), 0);
    x += 32;
    y += 8;
  }
  for (; n > 0; n--) {
    let r = nearest<f32>(load<f32>(x) / scale);
    // NaN compares false both ways and ends as 0 below (the zero point)
    r = r < <f32>(qmin - zp) ? <f32>(qmin - zp) : r > <f32>(qmax - zp) ? <f32>(qmax - zp) : r;
    store<i8>(y, <i8>((r != r ? 0 : <i32>r) + zp));
    x += 4;
    y += 1;
  }
}

/** qs8-f32-vcvt-simd128-8x */
export function qs8_f32_vcvt_simd128(n: i32, x: usize, y: usize, scale: f32, zp: i32): void {
  const vs = f32x4.splat(scale);
  const vz = i32x4.splat(zp);
  for (; n >= 8; n -= 8) {
    const v = v128.load8x8_s(x);
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(v), vz)), vs));
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(v), vz)), vs), 16);
    x += 8;
    y += 32;
  }
  for (; n > 0; n--) {
    store<f32>(y, <f32>(<i32>load<i8>(x) - zp) * scale);
    x += 1;
    y += 4;
  }
}
