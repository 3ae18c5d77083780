// SIMD128 approximations of exp, erfc and friends, shared by the activation, softmax and
// normalization kernels. Accuracy targets: relative error ~1e-7 (a few float32 ulps).


const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693145752;
const LN2_LO: f32 = 1.42860677e-6;

/**
 * e^x for x in [-87.3, 88.3] (inputs are clamped to that range: below it the result is ~1e-38
 * instead of a denormal or 0, above it ~2e38 instead of +Inf; callers that need the limits handle
 * them). Range reduction x = n ln2 + r with |r| <= ln2/2, degree-6 Taylor polynomial, 2^n via the
 * exponent bits.
 */
@inline export function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 1 / (1 + e^-x), through e^-|x| so that neither branch overflows; NaN propagates. */
@inline export function vsigmoid(x: v128): v128 {
  const t = f32x4.neg(f32x4.abs(x));
  // e^t, flushed to 0 below the float32 normal range (so that sigmoid(-inf) = 0)
  const z = v128.andnot(vexp(t), f32x4.lt(t, f32x4.splat(-87.3)));
  const one = f32x4.splat(1.0);
  const d = f32x4.add(one, z);
  const pos = f32x4.div(one, d);
  const neg = f32x4.div(z, d);
  // x < 0 -> z / (1 + z); else (and NaN) 1 / (1 + z)
  const r = v128.bitselect(neg, pos, f32x4.lt(x, f32x4.splat(0)));
  // keep NaN
  return v128.bitselect(r, x, f32x4.eq(x, x));
}

/**
 * tanh: an odd Taylor polynomial for |x| < 0.4 (no cancellation near 0), 1 - 2 / (e^{2|x|} + 1)
 * with the sign of x elsewhere; +-1 beyond |x| = 9; NaN propagates.
 */
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  // large branch
  const e = vexp(f32x4.mul(f32x4.pmin(ax, f32x4.splat(9.0)), f32x4.splat(2.0)));
  const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  // small branch: x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925
  const x2 = f32x4.mul(ax, ax);
  let p = f32x4.splat(-1382.0 / 155925.0);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(62.0 / 2835.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-17.0 / 315.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.0 / 15.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-1.0 / 3.0));
  const small = f32x4.add(ax, f32x4.mul(f32x4.mul(p, x2), ax));
  const mag = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.4)));
  // copy the sign of x (also keeps -0)
  const signed = v128.or(v128.and(mag, i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(signed, x, f32x4.eq(x, x));
}

/**
 * erfc(u) with fractional error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit):
 * t = 1 / (1 + |u|/2), erfc(|u|) = t exp(-u^2 + P(t)); erfc(-|u|) = 2 - erfc(|u|).
 */
@inline export function verfc(u: v128): v128 {
  const z = f32x4.abs(u);
  const t = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(0.5), z)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  const arg = f32x4.sub(p, f32x4.mul(z, z));
  const r = f32x4.mul(t, vexp(arg));
  // below -87 the true value underflows: flush to 0
  const r0 = v128.and(r, f32x4.gt(arg, f32x4.splat(-87.0)));
  return v128.bitselect(f32x4.sub(f32x4.splat(2.0), r0), r0, f32x4.lt(u, f32x4.splat(0)));
}

/** Gelu (exact): x * Phi(x) = x * erfc(-x / sqrt 2) / 2. */
@inline export function vgelu(x: v128): v128 {
  const phi = f32x4.mul(f32x4.splat(0.5), verfc(f32x4.mul(x, f32x4.splat(-0.70710678118654752))));
  // where Phi(x) underflows the result is a zero with the sign of x (also for x = -inf)
  const underflow = v128.and(f32x4.eq(phi, f32x4.splat(0)), f32x4.eq(x, x));
  return v128.bitselect(v128.and(x, i32x4.splat(0x80000000)), f32x4.mul(x, phi), underflow);
}

/** Gelu (tanh approximation), as x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)). */
@inline export function vgelutanh(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(f32x4.splat(2.0 * 0.7978845608028654), f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), x3)));
  const s = vsigmoid(u);
  return v128.bitselect(v128.and(x, i32x4.splat(0x80000000)), f32x4.mul(x, s), f32x4.eq(s, f32x4.splat(0)));
}

/** The address just past the module's static data: the host's heap starts here. */
export function heap_base(): usize {
  return __heap_base;
}
