/**
 * Training ops on the engine: the forward and backward computations that reverse-mode autodiff
 * needs, on caller-owned Float32Arrays in the graphs' logical layout (NCHW), each copying its
 * operands into the runtime's memory, running microkernels there and copying the results out.
 *
 * - GEMM with transA/transB (B packed at run time, A transposed by the SIMD transpose);
 * - Conv (one group, or depthwise) forward through the inference kernels (channels-last inside);
 *   its input gradient as a stride-1 convolution of the zero-inserted output gradient with the
 *   flipped, transposed filters (the same IGEMM / depthwise microkernels); its filter gradient as
 *   one GEMM of the output gradient with the im2col matrix (depthwise: a broadcast multiply of the
 *   im2col matrix by the output gradient, then per-column sums);
 * - BatchNormalization in training mode (batch statistics) and its gradient, as row sums and
 *   broadcast binary passes over NCHW.
 *
 * Every result is computed by the same microkernels whatever the thread count, so training is
 * deterministic for a seed and repeatable across thread counts.
 */
import { ArgumentError, UnsupportedOpError } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';
import { bindGemm, packGemmWeightsInto, packedGemmBytes } from '../operators/gemm.js';
import { bindConv, packConv, type PackedConv } from '../operators/conv.js';
import { bindBinary, type BinaryOp } from '../operators/elementwise.js';
import { tapOf, window2d, type Window2d } from '../operators/geometry.js';

/** Window attributes of a 2-d convolution (ONNX Conv attributes, resolved). */
export interface ConvAttrs {
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
  readonly autoPad?: string;
}

/** Options of {@link TrainingOps.matmul}. */
export interface MatMulOptions {
  /** A is stored [k, m] (default false: [m, k]). */
  readonly transA?: boolean;
  /** B is stored [n, k] (default false: [k, n]). */
  readonly transB?: boolean;
  /** Added to every row of C ([n]). */
  readonly bias?: Float32Array;
}

/** Gradients {@link TrainingOps.convBackward} computes (only those asked for). */
export interface ConvGrads {
  readonly dx?: Float32Array;
  readonly dw?: Float32Array;
  readonly db?: Float32Array;
}

const NO_CLAMP = Object.freeze({ min: -Infinity, max: Infinity });

/**
 * A convolution bound once per geometry: its input, output and packed-weight buffers stay in
 * memory (so the indirection buffer is built once); each call writes the input and repacks the
 * weights in place.
 */
interface ConvPlan {
  readonly xh: number;
  readonly y: number;
  readonly pc: PackedConv;
  /** Bytes of each packed-weight block of `pc`. */
  readonly packedBytes: readonly number[];
  readonly run: () => void;
}

function prod(s: readonly number[]): number {
  let p = 1;
  for (const d of s) p *= d;
  return p;
}

/**
 * @example
 * ```ts
 * const ops = new TrainingOps(createRuntimeSync(2));
 * const c = ops.matmul(a, b, 64, 10, 128, { transB: true }); // [64,128] x [10,128]^T
 * ```
 */
export class TrainingOps {
  private readonly blocks: number[] = [];
  /** Free result arrays by kind and length, and the ones handed out since the last recycle(). */
  private readonly pool = new Map<string, (Float32Array | Int32Array)[]>();
  private lent: (Float32Array | Int32Array)[] = [];
  private pooling = false;

  private readonly plans = new Map<string, ConvPlan>();
  /** im2col source offsets (floats from the input base; -1 for padding) per geometry. */
  private readonly colMaps = new Map<string, Int32Array>();

  constructor(readonly rt: Runtime) {}

  /**
   * Starts a new step: every array returned since the previous call may be reused for the results
   * of this step (allocating fresh multi-MB arrays costs more than the kernels on some systems).
   * Until the first call, and after {@link releaseArrays}, results are fresh arrays.
   */
  recycle(): void {
    for (const a of this.lent) {
      const key = `${a instanceof Int32Array ? 'i' : 'f'}${a.length}`;
      let free = this.pool.get(key);
      if (!free) this.pool.set(key, (free = []));
      free.push(a);
    }
    this.lent = [];
    this.pooling = true;
  }

  /** Stops reusing arrays and drops the pool (the arrays handed out stay valid). */
  releaseArrays(): void {
    this.pool.clear();
    this.lent = [];
    this.pooling = false;
  }

  /** A float32 result array of `n` elements (contents unspecified): reused after recycle(). */
  output(n: number): Float32Array {
    return this.take('f', n, () => new Float32Array(n)) as Float32Array;
  }

  /** An int32 result array of `n` elements (contents unspecified): reused after recycle(). */
  outputI32(n: number): Int32Array {
    return this.take('i', n, () => new Int32Array(n)) as Int32Array;
  }

  private take(kind: string, n: number, make: () => Float32Array | Int32Array): Float32Array | Int32Array {
    if (!this.pooling) return make();
    const a = this.pool.get(`${kind}${n}`)?.pop() ?? make();
    this.lent.push(a);
    return a;
  }

  /** Threads the runtime runs kernels on. */
  get threads(): number {
    return this.rt.threads;
  }

  private alloc = (bytes: number): number => {
    const p = this.rt.heap.alloc(bytes);
    this.blocks.push(p);
    return p;
  };

  private put(data: ArrayLike<number>): number {
    const p = this.alloc(data.length * 4);
    this.rt.heap.writeF32(p, data);
    return p;
  }

  private read(ptr: number, n: number): Float32Array {
    const out = this.output(n);
    out.set(this.rt.heap.f32.subarray(ptr >> 2, (ptr >> 2) + n));
    return out;
  }

  /** Runs `f` and frees every block it allocated. */
  private scoped<T>(f: () => T): T {
    const mark = this.blocks.length;
    try {
      return f();
    } finally {
      const heap = this.rt.heap;
      for (let i = this.blocks.length - 1; i >= mark; i--) heap.release(this.blocks[i]);
      this.blocks.length = mark;
    }
  }

  private transpose(src: number, batch: number, rows: number, cols: number): number {
    const dst = this.alloc(batch * rows * cols * 4);
    this.rt.fn('x32_transpose2d_simd128')(batch, rows, cols, src, dst);
    return dst;
  }

  /** C [m, n] = A x B + bias over pointers (B packed here). */
  private gemmPtr(a: number, b: number, m: number, n: number, k: number, transB: boolean, bias: number): number {
    const w = this.alloc(packedGemmBytes(k, n));
    packGemmWeightsInto(this.rt, b, k, n, transB ? 1 : n, transB ? k : 1, bias, w);
    const c = this.alloc(m * n * 4);
    bindGemm(this.rt, { m, n, k, a, lda: k, w, c, ldc: n, ...NO_CLAMP })();
    return c;
  }

  /**
   * C [m, n] = op(A) x op(B) (+ bias), op() transposing when asked.
   *
   * @example
   * ```ts
   * const dW = ops.matmul(dY, x, 10, 128, 64, { transA: true }); // dY^T x X
   * ```
   */
  matmul(a: Float32Array, b: Float32Array, m: number, n: number, k: number, opts: MatMulOptions = {}): Float32Array {
    if (a.length !== m * k || b.length !== k * n) throw new ArgumentError(`matmul: A has ${a.length} elements and B ${b.length}, expected ${m * k} and ${k * n} for m=${m} n=${n} k=${k}`);
    if (opts.bias && opts.bias.length !== n) throw new ArgumentError(`matmul: bias has ${opts.bias.length} elements, expected ${n}`);
    return this.scoped(() => {
      let pa = this.put(a);
      if (opts.transA) pa = this.transpose(pa, 1, k, m);
      const pb = this.put(b);
      const bias = opts.bias ? this.put(opts.bias) : 0;
      return this.read(this.gemmPtr(pa, pb, m, n, k, opts.transB ?? false, bias), m * n);
    });
  }

  /** y[c] = sum over rows of x [rows, cols] (column sums). */
  columnSums(x: Float32Array, rows: number, cols: number): Float32Array {
    return this.scoped(() => {
      const px = this.put(x);
      const y = this.alloc(cols * 4);
      this.rt.fn('f32_gavgpool_simd128_nhwc')(1, rows, cols, px, y, 1);
      return this.read(y, cols);
    });
  }

  /** Whether the engine runs this 2-d convolution (one group, or depthwise). */
  static supportsConv(xShape: readonly number[], wShape: readonly number[], group: number): boolean {
    if (xShape.length !== 4 || wShape.length !== 4) return false;
    const [, c] = xShape;
    const [m, cg] = wShape;
    return group === 1 ? cg === c : group === c && m === c && cg === 1;
  }

  private geometry(xShape: readonly number[], wShape: readonly number[], a: ConvAttrs): Window2d {
    return window2d(xShape[0], xShape.slice(2), { kernel: wShape.slice(2), strides: a.strides, dilations: a.dilations, pads: a.pads, autoPad: a.autoPad });
  }

  /**
   * Conv forward: x [N, C, H, W], w [M, C/group, kh, kw] (one group or depthwise), bias [M];
   * returns y [N, M, OH, OW] and its shape.
   */
  conv(x: Float32Array, xShape: readonly number[], w: Float32Array, wShape: readonly number[], bias: Float32Array | undefined, attrs: ConvAttrs): { y: Float32Array; shape: number[] } {
    const group = attrs.group ?? 1;
    if (!TrainingOps.supportsConv(xShape, wShape, group)) throw new UnsupportedOpError(`training conv supports 2-d convolutions with one group or depthwise; got x [${xShape}], w [${wShape}], group ${group}`, { op: 'Conv' });
    const [n, c, h, wd] = xShape;
    const m = wShape[0];
    const g = this.geometry(xShape, wShape, attrs);
    const p = this.plan(g, c, wShape, group);
    return this.scoped(() => {
      this.rt.fn('x32_transpose2d_simd128')(n, c, h * wd, this.put(x), p.xh);
      this.repack(p, w, wShape, bias, c);
      p.run();
      const out = this.transpose(p.y, n, g.oh * g.ow, m);
      return { y: this.read(out, n * m * g.oh * g.ow), shape: [n, m, g.oh, g.ow] };
    });
  }

  /** The plan of a convolution geometry (created on first use; lives as long as this object). */
  private plan(g: Window2d, channels: number, wShape: readonly number[], group: number): ConvPlan {
    const key = `${JSON.stringify(g)}|${channels}|${wShape.join(',')}|${group}`;
    let p = this.plans.get(key);
    if (p) return p;
    const heap = this.rt.heap;
    const xh = heap.alloc(g.n * g.ih * g.iw * channels * 4);
    const y = heap.alloc(g.n * g.oh * g.ow * wShape[0] * 4);
    const pc = packConv(this.rt, new Float32Array(prod(wShape)), wShape, undefined, group, channels);
    const ks = pc.kh * pc.kw;
    const packedBytes = pc.kind === 'dwconv'
      ? [Math.ceil(pc.m / pc.dw!.channels) * (ks + 1) * pc.dw!.channels * 4]
      : pc.weights.map(() => packedGemmBytes(ks * pc.cg, pc.mg));
    const { run } = bindConv(this.rt, pc, g, channels, xh, y, NO_CLAMP, (bytes) => heap.alloc(bytes));
    p = { xh, y, pc, packedBytes, run };
    this.plans.set(key, p);
    return p;
  }

  /** Packs w and bias into the plan's weight blocks (the layout packConv writes, bias slots included). */
  private repack(p: ConvPlan, w: Float32Array, wShape: readonly number[], bias: ArrayLike<number> | undefined, channels: number): void {
    const tmp = packConv(this.rt, w, wShape, bias, p.pc.group, channels);
    try {
      const u8 = this.rt.heap.u8;
      tmp.weights.forEach((src, i) => u8.copyWithin(p.pc.weights[i], src, src + p.packedBytes[i]));
    } finally {
      tmp.release();
    }
  }

  /** im2col of channels-last x into [pixels, taps * C] (tap-major, padding taps zero). */
  private im2col(xh: number, g: Window2d, channels: number): number {
    const ks = g.kh * g.kw;
    const pixels = g.n * g.oh * g.ow;
    // 1x1, stride 1, no padding: the input rows are the im2col matrix
    if (ks === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.oh === g.ih && g.ow === g.iw) return xh;
    const key = `${JSON.stringify(g)}|${channels}`;
    let map = this.colMaps.get(key);
    if (!map) {
      map = new Int32Array(pixels * ks);
      let q = 0;
      for (let n = 0; n < g.n; n++) {
        for (let oy = 0; oy < g.oh; oy++) {
          for (let ox = 0; ox < g.ow; ox++) {
            for (let ky = 0; ky < g.kh; ky++) {
              for (let kx = 0; kx < g.kw; kx++) {
                const t = tapOf(g, oy, ox, ky, kx);
                map[q++] = t.kind === 'in' ? ((n * g.ih + t.iy) * g.iw + t.ix) * channels : -1;
              }
            }
          }
        }
      }
      this.colMaps.set(key, map);
    }
    const col = this.alloc(pixels * ks * channels * 4);
    const f32 = this.rt.heap.f32;
    const x0 = xh >> 2;
    let o = col >> 2;
    if (channels === 1) {
      for (let q = 0; q < map.length; q++) f32[o + q] = map[q] >= 0 ? f32[x0 + map[q]] : 0;
      return col;
    }
    for (let q = 0; q < map.length; q++, o += channels) {
      const s = map[q];
      if (s >= 0) f32.copyWithin(o, x0 + s, x0 + s + channels);
      else f32.fill(0, o, o + channels);
    }
    return col;
  }

  /**
   * Conv backward: the gradients of x, w and bias (each only when asked) from dy [N, M, OH, OW].
   *
   * @example
   * ```ts
   * const { dx, dw, db } = ops.convBackward(x, [2, 3, 8, 8], w, [4, 3, 3, 3], dy, { pads: [1, 1, 1, 1] }, { x: true, w: true, b: true });
   * ```
   */
  convBackward(x: Float32Array, xShape: readonly number[], w: Float32Array, wShape: readonly number[], dy: Float32Array, attrs: ConvAttrs, need: { x?: boolean; w?: boolean; b?: boolean }): ConvGrads {
    const group = attrs.group ?? 1;
    if (!TrainingOps.supportsConv(xShape, wShape, group)) throw new UnsupportedOpError(`training conv supports 2-d convolutions with one group or depthwise; got x [${xShape}], w [${wShape}], group ${group}`, { op: 'Conv' });
    const [n, c, h, wd] = xShape;
    const [m, cg, kh, kw] = wShape;
    const g = this.geometry(xShape, wShape, attrs);
    const pixels = n * g.oh * g.ow;
    const ohw = g.oh * g.ow;
    if (dy.length !== n * m * ohw) throw new ArgumentError(`convBackward: dy has ${dy.length} elements, expected ${n * m * ohw}`);
    const depthwise = group !== 1;
    return this.scoped(() => {
      const pdy = this.put(dy);
      const dyh = this.transpose(pdy, n, m, ohw); // [pixels, M]
      const out: { dx?: Float32Array; dw?: Float32Array; db?: Float32Array } = {};
      if (need.b) {
        const s = this.alloc(m * 4);
        this.rt.fn('f32_gavgpool_simd128_nhwc')(1, pixels, m, dyh, s, 1);
        out.db = this.read(s, m);
      }
      if (need.w) {
        const xh = this.transpose(this.put(x), n, c, h * wd);
        const col = this.im2col(xh, g, c);
        const ks = kh * kw;
        let mat: Float32Array; // [M, ks * cg] tap-major (group 1) or [ks, C] (depthwise)
        if (depthwise) {
          // dW[c, t] = sum_p col[p, t, c] * dy[p, c]
          const prodPtr = this.alloc(pixels * ks * c * 4);
          bindBinary(this.rt, 'mul', [pixels, ks, c], [pixels, 1, c], [pixels, ks, c], col, dyh, prodPtr, this.alloc)();
          const s = this.alloc(ks * c * 4);
          this.rt.fn('f32_gavgpool_simd128_nhwc')(1, pixels, ks * c, prodPtr, s, 1);
          mat = this.read(s, ks * c);
        } else {
          // dW [M, ks*C] = dy^T [M, pixels] x col [pixels, ks*C]
          const dyt = this.alloc(m * pixels * 4);
          for (let b = 0; b < n; b++) this.rt.fn('x32_copy2d')(m, ohw * 4, pdy + b * m * ohw * 4, ohw * 4, dyt + b * ohw * 4, pixels * 4);
          mat = this.read(this.gemmPtr(dyt, col, m, ks * c, pixels, false, 0), m * ks * c);
        }
        const dw = new Float32Array(m * cg * ks);
        for (let o = 0; o < m; o++) {
          for (let ci = 0; ci < cg; ci++) {
            for (let t = 0; t < ks; t++) dw[(o * cg + ci) * ks + t] = depthwise ? mat[t * c + o] : mat[o * ks * c + t * c + ci];
          }
        }
        out.dw = dw;
      }
      if (need.x) out.dx = this.convInputGrad(dyh, g, xShape, w, wShape, depthwise);
      return out;
    });
  }

  /**
   * dX as a stride-1 convolution of the zero-inserted dy (channels-last, in memory) with the
   * flipped filters, transposed for one group (W'[c, m] = W[m, c] rotated 180 degrees).
   */
  private convInputGrad(dyh: number, g: Window2d, xShape: readonly number[], w: Float32Array, wShape: readonly number[], depthwise: boolean): Float32Array {
    const [n, c, h, wd] = xShape;
    const [m, cg, kh, kw] = wShape;
    const ks = kh * kw;
    const ekh = (kh - 1) * g.dh + 1;
    const ekw = (kw - 1) * g.dw + 1;
    // the zero-inserted gradient: (OH-1)*sh+1 rows, dilation of the output grid by the stride
    const dh = (g.oh - 1) * g.sh + 1;
    const dwid = (g.ow - 1) * g.sw + 1;
    const padTop = ekh - 1 - g.padTop;
    const padLeft = ekw - 1 - g.padLeft;
    const padBottom = h + ekh - 1 - padTop - dh;
    const padRight = wd + ekw - 1 - padLeft - dwid;
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
      throw new UnsupportedOpError(`training conv: padding [${g.padTop}, ${g.padLeft}] larger than the kernel extent is not supported for the input gradient`, { op: 'Conv' });
    }
    const gb = window2d(n, [dh, dwid], { kernel: [kh, kw], dilations: [g.dh, g.dw], pads: [padTop, padLeft, padBottom, padRight] });
    const wT = depthwise ? [c, 1, kh, kw] : [c, m, kh, kw];
    const p = this.plan(gb, m, wT, depthwise ? c : 1);
    const src = p.xh;
    if (g.sh === 1 && g.sw === 1) this.rt.heap.u8.copyWithin(src, dyh, dyh + n * dh * dwid * m * 4);
    else {
      const f32 = this.rt.heap.f32;
      f32.fill(0, src >> 2, (src >> 2) + n * dh * dwid * m);
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < g.oh; oy++) {
          for (let ox = 0; ox < g.ow; ox++) {
            const s = (dyh >> 2) + ((b * g.oh + oy) * g.ow + ox) * m;
            f32.copyWithin((src >> 2) + ((b * dh + oy * g.sh) * dwid + ox * g.sw) * m, s, s + m);
          }
        }
      }
    }
    // flipped (and for one group transposed) filters: [C, M, kh, kw] / depthwise [C, 1, kh, kw]
    const flipped = new Float32Array(w.length);
    if (depthwise) {
      for (let ch = 0; ch < m; ch++) for (let t = 0; t < ks; t++) flipped[ch * ks + t] = w[ch * ks + (ks - 1 - t)];
    } else {
      for (let o = 0; o < m; o++) {
        for (let ci = 0; ci < cg; ci++) {
          for (let t = 0; t < ks; t++) flipped[(ci * m + o) * ks + t] = w[(o * cg + ci) * ks + (ks - 1 - t)];
        }
      }
    }
    this.repack(p, flipped, wT, undefined, m);
    p.run();
    return this.read(this.transpose(p.y, n, h * wd, c), n * c * h * wd);
  }

  /** Per-channel sums of x [N, C, S] (float32 sums of rows, then over the batch in float64). */
  private channelSums(px: number, n: number, c: number, s: number): Float64Array {
    const r = this.alloc(n * c * 4);
    this.rt.fn('f32_rsum_simd128')(n * c, s, px, r, 1);
    const rows = this.rt.heap.f32.subarray(r >> 2, (r >> 2) + n * c);
    const out = new Float64Array(c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) out[ch] += rows[b * c + ch];
    return out;
  }

  private binary(op: BinaryOp, a: number, aShape: readonly number[], b: number, bShape: readonly number[], y: number, outShape: readonly number[]): void {
    bindBinary(this.rt, op, aShape, bShape, outShape, a, b, y, this.alloc)();
  }

  /**
   * BatchNormalization forward with batch statistics: x [N, C, ...]; returns y, the batch mean
   * and the biased batch variance per channel.
   */
  batchNormTrain(x: Float32Array, xShape: readonly number[], scale: Float32Array, bias: Float32Array, epsilon: number): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
    const [n, c] = xShape;
    const s = prod(xShape) / (n * c);
    const count = n * s;
    return this.scoped(() => {
      const px = this.put(x);
      const full = [n, c, s];
      const per = [1, c, 1];
      const sums = this.channelSums(px, n, c, s);
      const mean = Float32Array.from(sums, (v) => v / count);
      const xc = this.alloc(x.length * 4);
      this.binary('sub', px, full, this.put(mean), per, xc, full);
      const sq = this.alloc(x.length * 4);
      this.binary('mul', xc, full, xc, full, sq, full);
      const variance = Float32Array.from(this.channelSums(sq, n, c, s), (v) => v / count);
      const k = Float32Array.from(variance, (v, ch) => scale[ch] / Math.sqrt(v + epsilon));
      const y = this.alloc(x.length * 4);
      this.binary('mul', xc, full, this.put(k), per, y, full);
      this.binary('add', y, full, this.put(bias), per, y, full);
      return { y: this.read(y, x.length), mean, variance };
    });
  }

  /**
   * Gradient of BatchNormalization with batch statistics: dX = k1 dY + k2 xhat + k3 per channel
   * (k1 = gamma / sigma, k2 = -k1 mean(dY xhat), k3 = -k1 mean(dY)), dScale = sum(dY xhat),
   * dBias = sum(dY).
   */
  batchNormTrainBackward(x: Float32Array, xShape: readonly number[], scale: Float32Array, mean: Float32Array, variance: Float32Array, epsilon: number, dy: Float32Array, needX: boolean): { dx?: Float32Array; dscale: Float32Array; dbias: Float32Array } {
    const [n, c] = xShape;
    const s = prod(xShape) / (n * c);
    const count = n * s;
    return this.scoped(() => {
      const full = [n, c, s];
      const per = [1, c, 1];
      const px = this.put(x);
      const pdy = this.put(dy);
      const inv = Float32Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
      const xhat = this.alloc(x.length * 4);
      this.binary('sub', px, full, this.put(mean), per, xhat, full);
      this.binary('mul', xhat, full, this.put(inv), per, xhat, full);
      const gx = this.alloc(x.length * 4);
      this.binary('mul', pdy, full, xhat, full, gx, full);
      const sumGX = this.channelSums(gx, n, c, s);
      const sumG = this.channelSums(pdy, n, c, s);
      const dscale = Float32Array.from(sumGX);
      const dbias = Float32Array.from(sumG);
      if (!needX) return { dscale, dbias };
      const k1 = Float32Array.from(inv, (v, ch) => scale[ch] * v);
      const k2 = Float32Array.from(k1, (v, ch) => (-v * sumGX[ch]) / count);
      const k3 = Float32Array.from(k1, (v, ch) => (-v * sumG[ch]) / count);
      const dx = this.alloc(x.length * 4);
      this.binary('mul', pdy, full, this.put(k1), per, dx, full);
      this.binary('mul', xhat, full, this.put(k2), per, gx, full);
      this.binary('add', dx, full, gx, full, dx, full);
      this.binary('add', dx, full, this.put(k3), per, dx, full);
      return { dx: this.read(dx, x.length), dscale, dbias };
    });
  }

  /** y = clamp(x, min, max) (Relu, ReLU6, Clip). */
  clamp(x: Float32Array, min: number, max: number): Float32Array {
    return this.scoped(() => {
      const p = this.put(x);
      this.rt.fn('f32_vunary_simd128')(0, x.length, p, p, min, max);
      return this.read(p, x.length);
    });
  }

  /** Row means of x [rows, len] (GlobalAveragePool over NCHW). */
  rowMeans(x: Float32Array, rows: number, len: number): Float32Array {
    return this.scoped(() => {
      const p = this.put(x);
      const y = this.alloc(rows * 4);
      this.rt.fn('f32_rsum_simd128')(rows, len, p, y, 1 / len);
      return this.read(y, rows);
    });
  }

  /** Drops the plans and stops the runtime's worker threads (the runtime's memory goes with it). */
  dispose(): void {
    this.plans.clear();
    this.colMaps.clear();
    this.rt.stopThreads();
  }
}
