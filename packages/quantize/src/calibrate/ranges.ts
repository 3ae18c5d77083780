/**
 * Choosing a quantization range [lo, hi] from observed data: min-max, percentile, MSE-optimal
 * (minimum expected squared error: rounding noise inside, clipping error outside) and KL-entropy
 * (TensorRT's calibration: the clipping threshold whose quantized distribution diverges least from
 * the observed one).
 */
import { Histogram } from './histogram.js';
import { rangeToParams } from '../weights/affine.js';

/** The integer grid the range will be mapped to. */
export interface Grid {
  readonly qmin: number;
  readonly qmax: number;
  readonly symmetric: boolean;
}

/**
 * Value below which `q` (0..1) of the histogram's mass lies, interpolated inside a bin.
 *
 * @example
 * ```ts
 * quantile(h, 0.5); // the median, to within one bin
 * ```
 */
export function quantile(h: Histogram, q: number): number {
  const { edges, counts, width } = h.bins();
  if (width === 0) return 0;
  const target = q * h.total;
  let acc = 0;
  for (let k = 0; k < counts.length; k++) {
    if (acc + counts[k] >= target && counts[k] > 0) {
      const frac = (target - acc) / counts[k];
      return Math.min(h.max, Math.max(h.min, edges[k] + frac * width));
    }
    acc += counts[k];
  }
  return h.max;
}

/**
 * Range keeping `percent` of the values: clipped on one side for one-signed data, split otherwise.
 *
 * @example
 * ```ts
 * const [lo, hi] = percentileRange(h, 99.99);
 * ```
 */
export function percentileRange(h: Histogram, percent: number): [number, number] {
  const tail = 1 - percent / 100;
  if (h.min >= 0) return [h.min, quantile(h, 1 - tail)];
  if (h.max <= 0) return [quantile(h, tail), h.max];
  return [quantile(h, tail / 2), quantile(h, 1 - tail / 2)];
}

/**
 * Expected squared error of quantizing the histogram's values to `grid` with params from
 * [lo, hi]: s^2/12 per value inside the representable range, the squared distance to the nearest
 * end outside it (bin centres, plus the bins' own spread).
 */
function expectedError(centres: Float64Array, counts: Float64Array, binVar: number, lo: number, hi: number, grid: Grid): number {
  const { scale, zeroPoint } = rangeToParams(lo, hi, grid.qmin, grid.qmax, grid.symmetric);
  const a = (grid.qmin - zeroPoint) * scale;
  const b = (grid.qmax - zeroPoint) * scale;
  const inside = (scale * scale) / 12;
  let err = 0;
  for (let k = 0; k < centres.length; k++) {
    const n = counts[k];
    if (n === 0) continue;
    const c = centres[k];
    if (c < a) err += n * ((c - a) ** 2 + binVar);
    else if (c > b) err += n * ((c - b) ** 2 + binVar);
    else err += n * inside;
  }
  return err;
}

/**
 * The range minimizing the expected squared quantization error, by grid search over shrink factors.
 *
 * @example
 * ```ts
 * const [lo, hi] = mseRange(h, { qmin: -128, qmax: 127, symmetric: false });
 * ```
 */
export function mseRange(h: Histogram, grid: Grid, steps = 50): [number, number] {
  const { edges, counts, width } = h.bins();
  if (width === 0) return [h.min, h.max];
  const centres = edges.map((e) => e + width / 2);
  const binVar = (width * width) / 12;
  const lo0 = Math.min(h.min, 0);
  const hi0 = Math.max(h.max, 0);
  let best: [number, number] = [h.min, h.max];
  let bestErr = expectedError(centres, counts, binVar, h.min, h.max, grid);
  const factors = Array.from({ length: steps }, (_, i) => 1 - i / steps);
  if (grid.symmetric || lo0 === 0 || hi0 === 0) {
    // One parameter: the symmetric threshold (or the single non-zero end).
    const a = Math.max(-lo0, hi0);
    for (const f of factors) {
      const lo = grid.symmetric ? Math.max(h.min, -a * f) : lo0 * f;
      const hi = grid.symmetric ? Math.min(h.max, a * f) : hi0 * f;
      const e = expectedError(centres, counts, binVar, lo, hi, grid);
      if (e < bestErr) [bestErr, best] = [e, [lo, hi]];
    }
    return best;
  }
  for (const fl of factors) {
    for (const fh of factors) {
      const e = expectedError(centres, counts, binVar, lo0 * fl, hi0 * fh, grid);
      if (e < bestErr) [bestErr, best] = [e, [lo0 * fl, hi0 * fh]];
    }
  }
  return best;
}

/** KL(p || q) of two unnormalized distributions over the same bins (TensorRT's smoothing of q). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i];
    qs += q[i];
  }
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / ps;
    const qi = q[i] > 0 ? q[i] / qs : 1e-12;
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * TensorRT-style entropy calibration on |x| (or on x for one-signed data): for each candidate
 * threshold i (in bins), P is the histogram up to i with the outliers folded into its last bin, Q
 * is P quantized to `levels` levels and expanded back over P's non-empty bins; the threshold with
 * the smallest KL(P || Q) wins. The first bin (zeros a ReLU produced) counts as its neighbour.
 *
 * @example
 * ```ts
 * const [lo, hi] = entropyRange(h, { qmin: -128, qmax: 127, symmetric: false });
 * ```
 */
export function entropyRange(h: Histogram, grid: Grid, bins = 2048): [number, number] {
  const amax = Math.max(Math.abs(h.min), Math.abs(h.max));
  if (amax === 0) return [h.min, h.max];
  const oneSided = h.min >= 0 || h.max <= 0;
  const src = h.bins();
  // Two-signed data with a spike at its minimum were clamped there (a normalized image's
  // background, a clipped activation): that is a floor, not a tail. An asymmetric grid then covers
  // them from the minimum up and only the top tail is clipped, with the whole grid. (Folding |x|
  // would merge the spike into the other side and pull the threshold down to |minimum|, clipping
  // every bright pixel.)
  let total = 0;
  for (const c of src.counts) total += c;
  const anchored = !grid.symmetric && !oneSided && src.counts[0] >= 0.01 * total;
  const origin = anchored ? h.min : 0;
  const extent = anchored ? h.max - h.min : amax;
  // Levels available on the side the threshold clips: the whole grid for one-signed or anchored
  // data quantized asymmetrically, half of it otherwise.
  const levels = (oneSided || anchored) && !grid.symmetric ? grid.qmax - grid.qmin + 1 : Math.floor((grid.qmax - grid.qmin + 1) / 2);
  const hist = new Float64Array(bins);
  const w = extent / bins;
  for (let k = 0; k < src.counts.length; k++) {
    if (src.counts[k] === 0) continue;
    const c = Math.abs(src.edges[k] + src.width / 2 - origin);
    hist[Math.min(bins - 1, Math.floor(c / w))] += src.counts[k];
  }
  // Zeros (everything a ReLU clipped) pile up in the first bin and would make any clipping look
  // cheap next to it; like TensorRT's calibrators, judge that bin as its neighbour.
  if (hist[0] > hist[1]) hist[0] = hist[1];
  let bestI = bins;
  let bestKl = Infinity;
  for (let i = levels; i <= bins; i++) {
    const p = hist.slice(0, i);
    let outliers = 0;
    for (let k = i; k < bins; k++) outliers += hist[k];
    p[i - 1] += outliers;
    const q = new Float64Array(i);
    for (let j = 0; j < levels; j++) {
      const start = Math.floor((j * i) / levels);
      const end = Math.max(start + 1, Math.floor(((j + 1) * i) / levels));
      let sum = 0;
      let nonEmpty = 0;
      for (let k = start; k < end; k++) {
        sum += hist[k];
        if (hist[k] > 0) nonEmpty++;
      }
      if (nonEmpty === 0) continue;
      for (let k = start; k < end; k++) if (hist[k] > 0) q[k] = sum / nonEmpty;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  const t = Math.min(extent, (bestI + 0.5) * w);
  return anchored ? [h.min, Math.min(h.max, h.min + t)] : [Math.max(h.min, -t), Math.min(h.max, t)];
}
