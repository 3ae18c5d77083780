/**
 * Observers: what calibration records about one activation. Min-max and its moving average need
 * two numbers; percentile, MSE and entropy keep a histogram. `range(grid)` turns the record into
 * the real range the quantization params will cover.
 */
import { ArgumentError, type Tensor } from '@mo/ir';
import type { CalibrationMethod } from '../options.js';
import { Histogram } from './histogram.js';
import { entropyRange, mseRange, percentileRange, type Grid } from './ranges.js';

/** Weight of each new sample in the moving average of min/max (PyTorch's averaging constant). */
export const MOVING_AVERAGE_CONSTANT = 0.01;

/**
 * @example
 * ```ts
 * const o = new RangeObserver('percentile', 99.9);
 * o.observe(activation, "value 'x'");
 * const [lo, hi] = o.range({ qmin: -128, qmax: 127, symmetric: false });
 * ```
 */
export class RangeObserver {
  min = Infinity;
  max = -Infinity;
  private avgMin = NaN;
  private avgMax = NaN;
  private readonly hist: Histogram | undefined;
  samples = 0;

  constructor(
    readonly method: CalibrationMethod,
    private readonly percentile = 99.99,
  ) {
    if (method !== 'minmax' && method !== 'moving-average') this.hist = new Histogram();
  }

  /** Records one tensor's values. Throws ArgumentError on NaN or infinities. */
  observe(t: Tensor, what: string): void {
    const data = t.dtype === 'float32' ? (t.data as Float32Array) : t.toFloat32();
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) throw new ArgumentError(`${what} holds ${v} at element ${i}; calibration needs finite values`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (data.length === 0) return;
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    if (this.samples === 0) {
      this.avgMin = lo;
      this.avgMax = hi;
    } else {
      this.avgMin += MOVING_AVERAGE_CONSTANT * (lo - this.avgMin);
      this.avgMax += MOVING_AVERAGE_CONSTANT * (hi - this.avgMax);
    }
    this.samples++;
    this.hist?.add(data);
  }

  /** The range to quantize to, for the target grid, by the observer's method (or another it can serve). */
  range(grid: Grid, method: CalibrationMethod = this.method): [number, number] {
    if (this.samples === 0) return [0, 0];
    if (method === 'auto' || (method !== 'minmax' && method !== 'moving-average' && !this.hist)) {
      throw new ArgumentError(`observer of method '${this.method}' cannot give a '${method}' range`);
    }
    switch (method) {
      case 'minmax':
        return [this.min, this.max];
      case 'moving-average':
        return [this.avgMin, this.avgMax];
      case 'percentile':
        return percentileRange(this.hist!, this.percentile);
      case 'mse':
        return mseRange(this.hist!, grid);
      case 'entropy':
        return entropyRange(this.hist!, grid);
    }
    return [this.min, this.max];
  }
}

/** Mean of an activation per channel (axis 1 of NCHW, or the last axis), for bias correction. */
export class ChannelMean {
  readonly sums: Float64Array;
  count = 0;

  constructor(
    readonly channels: number,
    readonly axis: number,
  ) {
    this.sums = new Float64Array(channels);
  }

  observe(t: Tensor): void {
    const shape = t.shape;
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    let inner = 1;
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
    const dim = shape[axis];
    if (dim !== this.channels) return;
    const data = t.toFloat32();
    for (let i = 0; i < data.length; i++) this.sums[Math.floor(i / inner) % dim] += data[i];
    this.count += data.length / dim;
  }

  get means(): Float64Array {
    return this.sums.map((s) => (this.count ? s / this.count : 0));
  }
}
