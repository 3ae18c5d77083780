// f32-vunary-simd128: activations and simple unary math over a contiguous vector, in place or not.
// Tails (n % 4 elements) go through a one-vector step that reads and writes single lanes.
import { vexp, vgelu, vgelutanh, vsigmoid, vtanh } from '../common/math';

// Op codes (keep in sync with F32_VUNARY_OPS in src/microkernels/variants.ts).
const CLAMP = 0; // p0 = min, p1 = max (Relu: 0, +inf; Relu6: 0, 6)
const LEAKY_RELU = 1; // p0 = alpha
const HARD_SWISH = 2;
const HARD_SIGMOID = 3; // p0 = alpha, p1 = beta
const SIGMOID = 4;
const TANH = 5;
const GELU = 6;
const GELU_TANH = 7;
const NEG = 8;
const ABS = 9;
const SQRT = 10;
const SQUARE = 11;
const EXP = 12;
const AFFINE = 13; // p0 * x + p1

@inline function apply(op: i32, x: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case CLAMP: return f32x4.pmin(f32x4.pmax(x, p0), p1);
    case LEAKY_RELU: return v128.bitselect(x, f32x4.mul(x, p0), f32x4.ge(x, f32x4.splat(0)));
    case HARD_SWISH: {
      // x * clamp(x + 3, 0, 6) / 6: x + 3 is exact near -3 (no cancellation in x / 6 + 1/2)
      const t = f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3.0)), f32x4.splat(0)), f32x4.splat(6.0));
      return f32x4.mul(f32x4.mul(x, t), f32x4.splat(1.0 / 6.0));
    }
    case HARD_SIGMOID: {
      const t = f32x4.add(f32x4.mul(x, p0), p1);
      return f32x4.pmin(f32x4.pmax(t, f32x4.splat(0)), f32x4.splat(1.0));
    }
    case SIGMOID: return vsigmoid(x);
    case TANH: return vtanh(x);
    case GELU: return vgelu(x);
    case GELU_TANH: return vgelutanh(x);
    case NEG: return f32x4.neg(x);
    case ABS: return f32x4.abs(x);
    case SQRT: return f32x4.sqrt(x);
    case SQUARE: return f32x4.mul(x, x);
    case EXP: {
      // +Inf above the overflow threshold, 0 below the denormal range, NaN kept
      let r = vexp(x);
      r = v128.bitselect(f32x4.splat(Infinity), r, f32x4.gt(x, f32x4.splat(88.72)));
      r = v128.andnot(r, f32x4.lt(x, f32x4.splat(-87.3)));
      return v128.bitselect(r, x, f32x4.eq(x, x));
    }
    case AFFINE: return f32x4.add(f32x4.mul(x, p0), p1);
    default: unreachable();
  }
  return x;
}

/** y[i] = op(x[i]) for i < n. x and y may be the same buffer. */
export function f32_vunary_simd128(op: i32, n: i32, x: usize, y: usize, param0: f32, param1: f32): void {
  const p0 = f32x4.splat(param0);
  const p1 = f32x4.splat(param1);
  // One switch per call: each case runs its own loop (the op is a compile-time constant inside).
  switch (op) {
    case CLAMP: { run(CLAMP, n, x, y, p0, p1); break; }
    case LEAKY_RELU: { run(LEAKY_RELU, n, x, y, p0, p1); break; }
    case HARD_SWISH: { run(HARD_SWISH, n, x, y, p0, p1); break; }
    case HARD_SIGMOID: { run(HARD_SIGMOID, n, x, y, p0, p1); break; }
    case SIGMOID: { run(SIGMOID, n, x, y, p0, p1); break; }
    case TANH: { run(TANH, n, x, y, p0, p1); break; }
    case GELU: { run(GELU, n, x, y, p0, p1); break; }
    case GELU_TANH: { run(GELU_TANH, n, x, y, p0, p1); break; }
    case NEG: { run(NEG, n, x, y, p0, p1); break; }
    case ABS: { run(ABS, n, x, y, p0, p1); break; }
    case SQRT: { run(SQRT, n, x, y, p0, p1); break; }
    case SQUARE: { run(SQUARE, n, x, y, p0, p1); break; }
    case EXP: { run(EXP, n, x, y, p0, p1); break; }
    case AFFINE: { run(AFFINE, n, x, y, p0, p1); break; }
    default: unreachable();
  }
}

@inline function run(op: i32, n: i32, x: usize, y: usize, p0: v128, p1: v128): void {
  for (; n >= 4; n -= 4) {
    v128.store(y, apply(op, v128.load(x), p0, p1));
    x += 16;
    y += 16;
  }
  for (; n > 0; n--) {
    const r = apply(op, f32x4.splat(load<f32>(x)), p0, p1);
    store<f32>(y, f32x4.extract_lane(r, 0));
    x += 4;
    y += 4;
  }
}

/**
 * y = x * scale[c] + bias[c] over rows of `channels` (per-channel affine, e.g. BatchNormalization
 * in NHWC), then clamped to [out_min, out_max].
 */
export function f32_vaffine_channels_simd128(rows: i32, channels: i32, x: usize, scale: usize, bias: usize, y: usize, out_min: f32, out_max: f32): void {
  const vmin = f32x4.splat(out_min);
  const vmax = f32x4.splat(out_max);
  for (let r = 0; r < rows; r++) {
    let c = channels;
    let s = scale;
    let b = bias;
    for (; c >= 4; c -= 4) {
      v128.store(y, f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(v128.load(x), v128.load(s)), v128.load(b)), vmin), vmax));
      x += 16; y += 16; s += 16; b += 16;
    }
    for (; c > 0; c--) {
      const v = f32x4.add(f32x4.mul(f32x4.splat(load<f32>(x)), f32x4.splat(load<f32>(s))), f32x4.splat(load<f32>(b)));
      store<f32>(y, f32x4.extract_lane(f32x4.pmin(f32x4.pmax(v, vmin), vmax), 0));
      x += 4; y += 4; s += 4; b += 4;
    }
  }
}
