/**
 * Small numeric helpers: the standard normal density and distribution, error
 * statistics (MSE, SQNR) and an error accumulator over many tensors.
 */


/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal distribution function (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * E[clip(X, lo, hi)] for X ~ N(mean, std^2) (lo/hi may be infinite): the expected output of a
 * ReLU (lo = 0) or ReLU6 (lo = 0, hi = 6) fed by a BatchNormalization with those statistics.
 */
export function clippedNormalMean(mean: number, std: number, lo: number, hi: number): number {
  if (!(std > 0)) return Math.min(hi, Math.max(lo, mean));
  const a = (lo - mean) / std;
  const b = (hi - mean) / std;
  const Fa = normalCdf(a);
  const Fb = normalCdf(b);
  const fa = Number.isFinite(a) ? normalPdf(a) : 0;
  const fb = Number.isFinite(b) ? normalPdf(b) : 0;
  const below = Number.isFinite(lo) ? lo * Fa : 0;
  const above = Number.isFinite(hi) ? hi * (1 - Fb) : 0;
  return below + above + mean * (Fb - Fa) + std * (fa - fb);
}

/**
 * Signal and noise energy of an approximation, accumulated over any number of tensors.
 *
 * @example
 * ```ts
 * new ErrorStats().add(reference, approx).sqnrDb;
 * ```
 */
export class ErrorStats {
  signal = 0;
  noise = 0;
  maxAbs = 0;
  count = 0;

  add(reference: ArrayLike<number>, approx: ArrayLike<number>): this {
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i];
      const e = approx[i] - r;
      this.signal += r * r;
      this.noise += e * e;
      const a = Math.abs(e);
      if (a > this.maxAbs || Number.isNaN(a)) this.maxAbs = a;
    }
    this.count += reference.length;
    return this;
  }

  /** Mean squared error. */
  get mse(): number {
    return this.count ? this.noise / this.count : 0;
  }

  /** Signal-to-quantization-noise ratio in dB (Infinity when exact). */
  get sqnrDb(): number {
    return sqnrDb(this.signal, this.noise);
  }
}

/**
 * 10 log10(signal / noise), Infinity for zero noise.
 *
 * @example
 * ```ts
 * sqnrDb(100, 1); // 20
 * ```
 */
export function sqnrDb(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (Number.isNaN(noise)) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

/** Rounds a number for reports (keeps Infinity). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
