// f32 softmax / log-softmax along a contiguous axis (rows of `len` floats), and along a strided
// axis (outer x len x inner, vectorised across `inner`).
import { vexp } from '../common/math';

@inline function hmax(v: v128): f32 {
  const a = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const b = f32x4.max(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

@inline function hsum(v: v128): f32 {
  const a = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const b = f32x4.add(a, v128.shuffle<f32>(a, a, 1, 0, 3, 2));
  return f32x4.extract_lane(b, 0);
}

@inline function exps(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}

/** Largest element of a row (NaN if any is NaN: f32x4.max propagates NaN). */
@inline function rowMax(len: i32, x: usize): f32 {
  let vm = f32x4.splat(-Infinity);
  let n = len;
  let p = x;
  for (; n >= 4; n -= 4) {
    vm = f32x4.max(vm, v128.load(p));
    p += 16;
  }
  let m = hmax(vm);
  for (; n > 0; n--) {
    m = f32x4.extract_lane(f32x4.max(f32x4.splat(m), f32x4.splat(load<f32>(p))), 0);
    p += 4;
  }
  return m;
}

/** y = exp(x - max) / sum(exp(x - max)) per row; `log` != 0: y = x - max - log(sum). */
export function f32_softmax_simd128(rows: i32, len: i32, x: usize, y: usize, log: i32): void {
  for (let r = 0; r < rows; r++) {
    const m = rowMax(len, x);
    const vm = f32x4.splat(m);
    // exp(x - m) into y, summed
    let vs = f32x4.splat(0);
    let n = len;
    let px = x;
    let py = y;
    for (; n >= 4; n -= 4) {
      const e = vexp(f32x4.sub(v128.load(px), vm));
      if (!log) v128.store(py, e);
      vs = f32x4.add(vs, e);
      px += 16;
      py += 16;
    }
    let s = hsum(vs);
    for (; n > 0; n--) {
      const e = exps(load<f32>(px) - m);
      if (!log) store<f32>(py, e);
      s += e;
      px += 4;
      py += 4;
    }
    n = len;
    py = y;
    if (log) {
      const shift = f32x4.splat(m + <f32>Math.log(<f64>s));
      px = x;
      for (; n >= 4; n -= 4) {
        v128.store(py, f32x4.sub(v128.load(px), shift));
        px += 16;
        py += 16;
      }
      for (; n > 0; n--) {
        store<f32>(py, load<f32>(px) - f32x4.extract_lane(shift, 0));
        px += 4;
        py += 4;
      }
    } else {
      const vinv = f32x4.splat(<f32>(1.0 / <f64>s));
      for (; n >= 4; n -= 4) {
        v128.store(py, f32x4.mul(v128.load(py), vinv));
        py += 16;
      }
      for (; n > 0; n--) {
        store<f32>(py, load<f32>(py) * f32x4.extract_lane(vinv, 0));
        py += 4;
      }
    }
    x += <usize>len << 2;
    y += <usize>len << 2;
  }
}

/** Softmax along the middle axis of [outer, len, inner], four inner lanes at a time (inner % 4 == 0 is not required). */
export function f32_softmax_strided_simd128(outer: i32, len: i32, inner: i32, x: usize, y: usize, log: i32): void {
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const bx = x + <usize>o * <usize>len * stride;
    const by = y + <usize>o * <usize>len * stride;
    for (let i = 0; i < inner; i += 4) {
      const lanes = min(4, inner - i);
      const off = <usize>i << 2;
      // lanes beyond `inner` compute garbage from the next row and are never stored
      let vm = f32x4.splat(-Infinity);
      for (let k = 0; k < len; k++) vm = f32x4.max(vm, v128.load(bx + <usize>k * stride + off));
      let vs = f32x4.splat(0);
      for (let k = 0; k < len; k++) {
        const e = vexp(f32x4.sub(v128.load(bx + <usize>k * stride + off), vm));
        vs = f32x4.add(vs, e);
        if (!log) storeLanes(by + <usize>k * stride + off, e, lanes);
      }
      if (log) {
        // y = x - m - log(s), lane by lane (log is scalar)
        const l0 = <f32>Math.log(<f64>f32x4.extract_lane(vs, 0));
        const l1 = <f32>Math.log(<f64>f32x4.extract_lane(vs, 1));
        const l2 = <f32>Math.log(<f64>f32x4.extract_lane(vs, 2));
        const l3 = <f32>Math.log(<f64>f32x4.extract_lane(vs, 3));
        let vl = f32x4.splat(l0);
        vl = f32x4.replace_lane(vl, 1, l1);
        vl = f32x4.replace_lane(vl, 2, l2);
        vl = f32x4.replace_lane(vl, 3, l3);
        const shift = f32x4.add(vm, vl);
        for (let k = 0; k < len; k++) storeLanes(by + <usize>k * stride + off, f32x4.sub(v128.load(bx + <usize>k * stride + off), shift), lanes);
      } else {
        const vinv = f32x4.div(f32x4.splat(1.0), vs);
        for (let k = 0; k < len; k++) {
          const p = by + <usize>k * stride + off;
          storeLanes(p, f32x4.mul(v128.load(p), vinv), lanes);
        }
      }
    }
  }
}

@inline function storeLanes(p: usize, v: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(p, v);
    return;
  }
  let r = v;
  if (lanes & 2) {
    v128.store64_lane(p, r, 0);
    r = v128.shuffle<f32>(r, r, 2, 3, 2, 3);
    p += 8;
  }
  if (lanes & 1) v128.store32_lane(p, r, 0);
}
