// qs8-vadd-simd128-8x: quantized Add (QLinearAdd) with the reference interpreter's float32 rules:
// c = saturate(round_half_even(f32(f32(a - az) * as + f32(b - bz) * bs) / cs) + cz).
// Every step is one correctly rounded float32 operation, as in the reference (the division by cs
// is a real division, not a multiplication by its reciprocal).
// params (32 bytes): f32 as, i32 az, f32 bs, i32 bz, f32 cs, i32 cz, i32 qmin, i32 qmax.

@inline function dequant(q: v128, z: v128, s: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(q, z)), s);
}

/** `n` elements of a and b (int8, contiguous; `b_step` 0 broadcasts one b value) into y. */
export function qs8_vadd_simd128(n: i32, a: usize, b: usize, b_step: i32, y: usize, params: usize): void {
  const sa = load<f32>(params, 0), za = load<i32>(params, 4);
  const sb = load<f32>(params, 8), zb = load<i32>(params, 12);
  const sc = load<f32>(params, 16), zc = load<i32>(params, 20);
  const qmin = load<i32>(params, 24), qmax = load<i32>(params, 28);
  const vsa = f32x4.splat(sa), vza = i32x4.splat(za);
  const vsb = f32x4.splat(sb), vzb = i32x4.splat(zb);
  const vsc = f32x4.splat(sc), vzc = i32x4.splat(zc);
  const vlo = f32x4.splat(<f32>(qmin - zc)), vhi = f32x4.splat(<f32>(qmax - zc));
  if (b_step != 0) {
    for (; n >= 8; n -= 8) {
      const va = v128.load8x8_s(a);
      const vb = v128.load8x8_s(b);
      let r0 = f32x4.add(dequant(i32x4.extend_low_i16x8_s(va), vza, vsa), dequant(i32x4.extend_low_i16x8_s(vb), vzb, vsb));
      let r1 = f32x4.add(dequant(i32x4.extend_high_i16x8_s(va), vza, vsa), dequant(i32x4.extend_high_i16x8_s(vb), vzb, vsb));
      r0 = f32x4.pmin(f32x4.pmax(f32x4.nearest(f32x4.div(r0, vsc)), vlo), vhi);
      r1 = f32x4.pmin(f32x4.pmax(f32x4.nearest(f32x4.div(r1, vsc)), vlo), vhi);
      const q0 = i32x4.add(i32x4.trunc_sat_f32x4_s(r0), vzc);
      const q1 = i32x4.add(i32x4.trunc_sat_f32x4_s(r1), vzc);
      const h = i16x8.narrow_i32x4_s(q0, q1);
      v128.store64_lane(y, i8x16.narrow_i16x8_s(h, h), 0);
      a += 8;
      b += 8;
      y += 8;
    }
  }
  for (; n > 0; n--) {
    const fa = <f32>(<i32>load<i8>(a) - za) * sa;
    const fb = <f32>(<i32>load<i8>(b) - zb) * sb;
    let r = nearest<f32>((fa + fb) / sc);
    r = min<f32>(max<f32>(r, <f32>(qmin - zc)), <f32>(qmax - zc));
    store<i8>(y, <i8>(<i32>r + zc));
    a += 1;
    b += <usize>b_step;
    y += 1;
  }
}
