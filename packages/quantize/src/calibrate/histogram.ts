/**
 * A streaming histogram anchored at zero: bin j holds values in [j w, (j + 1) w) with w a power of
 * two. When new data falls outside, the array grows; when it would exceed the bin budget the width
 * doubles and neighbouring bins merge exactly (bin j -> floor(j / 2)). No second pass over the
 * calibration set is needed, and merging never redistributes counts approximately.
 */

/** Bins covering the range after the first batch (the budget is twice this). */
export const HISTOGRAM_BINS = 2048;

/**
 * @example
 * ```ts
 * const h = new Histogram();
 * h.add(Float32Array.of(0, 0.5, 3));
 * percentileRange(h, 99.9);
 * ```
 */
export class Histogram {
  /** Bin width (a power of two), 0 until a non-zero value arrives. */
  width = 0;
  /** Index of the first bin. */
  first = 0;
  counts = new Float64Array(0);
  /** Values seen while the width was 0 (all exactly zero). */
  private zeros = 0;
  min = Infinity;
  max = -Infinity;
  total = 0;

  /** Adds values (callers check they are finite). */
  add(data: ArrayLike<number>): void {
    const n = data.length;
    if (n === 0) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
    this.total += n;
    if (this.width === 0) {
      const span = Math.max(hi, 0) - Math.min(lo, 0);
      if (span === 0) {
        this.zeros += n;
        return;
      }
      this.width = 2 ** Math.ceil(Math.log2(span / HISTOGRAM_BINS));
      this.first = Math.floor(Math.min(lo, 0) / this.width);
      this.counts = new Float64Array(Math.floor(Math.max(hi, 0) / this.width) - this.first + 1);
      this.counts[-this.first] += this.zeros;
      this.zeros = 0;
    }
    this.cover(lo, hi);
    const w = this.width;
    const c = this.counts;
    const f = this.first;
    for (let i = 0; i < n; i++) c[Math.floor(data[i] / w) - f]++;
  }

  /** Grows (and coarsens) the bins so that [lo, hi] is covered. */
  private cover(lo: number, hi: number): void {
    let jlo = Math.min(this.first, Math.floor(lo / this.width));
    let jhi = Math.max(this.first + this.counts.length - 1, Math.floor(hi / this.width));
    if (jlo === this.first && jhi === this.first + this.counts.length - 1) return;
    let width = this.width;
    let counts = this.counts;
    let first = this.first;
    while (jhi - jlo + 1 > 2 * HISTOGRAM_BINS) {
      // Double the width: bin j merges into floor(j / 2).
      const nf = Math.floor(first / 2);
      const nl = Math.floor((first + counts.length - 1) / 2);
      const merged = new Float64Array(nl - nf + 1);
      for (let k = 0; k < counts.length; k++) merged[Math.floor((first + k) / 2) - nf] += counts[k];
      counts = merged;
      first = nf;
      width *= 2;
      jlo = Math.floor(lo / width) < first ? Math.floor(lo / width) : first;
      jhi = Math.max(first + counts.length - 1, Math.floor(hi / width));
    }
    const grown = new Float64Array(jhi - jlo + 1);
    grown.set(counts, first - jlo);
    this.counts = grown;
    this.first = jlo;
    this.width = width;
  }

  /** Bins as (left edge, count) pairs, plus zeros seen before the first non-zero value. */
  bins(): { edges: Float64Array; counts: Float64Array; width: number } {
    if (this.width === 0) return { edges: Float64Array.of(0), counts: Float64Array.of(this.zeros), width: 0 };
    const edges = new Float64Array(this.counts.length);
    for (let k = 0; k < edges.length; k++) edges[k] = (this.first + k) * this.width;
    return { edges, counts: this.counts, width: this.width };
  }
}
