/**
 * Deterministic 1-D k-means (Lloyd's algorithm) with k-means++ seeding (Arthur & Vassilvitskii,
 * 2007). In one dimension clusters are intervals of the sorted values, so each Lloyd step costs
 * O(k log n) with prefix sums; seeding runs on an evenly spaced sample of the sorted values
 * (a quantile sketch) so that it stays fast on large tensors. Same values and seed, same result.
 */
import { ArgumentError } from '@mo/ir';
import { seededRandom } from '@mo/ir';

export interface KMeansOptions {
  /** PRNG seed of the k-means++ draws (default 0). */
  seed?: number;
  /** Lloyd iterations at most (default 100). */
  maxIterations?: number;
  /** Size of the seeding sample (default 16384). */
  sampleSize?: number;
}

export interface KMeansResult {
  /** Centroids in ascending order (at most k; fewer when there are fewer distinct values). */
  readonly centroids: Float64Array;
  readonly iterations: number;
}

/** First index i with sorted[i] > x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Clusters `values` into at most `k` centroids minimizing the sum of squared distances.
 *
 * @example
 * ```ts
 * const { centroids } = kmeans1d(Float32Array.of(0, 0.1, 5, 5.2), 2); // ~[0.05, 5.1]
 * ```
 */
export function kmeans1d(values: ArrayLike<number>, k: number, opts: KMeansOptions = {}): KMeansResult {
  if (!(Number.isInteger(k) && k >= 1)) throw new ArgumentError(`k-means needs an integer k >= 1, got ${k}`);
  const n = values.length;
  if (n === 0) throw new ArgumentError('k-means needs at least one value');
  const sorted = Float64Array.from(values).sort();
  if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[n - 1])) throw new ArgumentError('k-means values must be finite');
  // Few distinct values: they are the optimal centroids.
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length <= k; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  if (distinct.length <= k) return { centroids: Float64Array.from(distinct), iterations: 0 };

  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];

  // k-means++ on a quantile sample: first centre uniform, then proportional to D(x)^2.
  const m = Math.min(n, opts.sampleSize ?? 16384);
  const sample = new Float64Array(m);
  for (let i = 0; i < m; i++) sample[i] = sorted[Math.min(n - 1, Math.floor(((i + 0.5) * n) / m))];
  const rand = seededRandom(opts.seed ?? 0);
  const centres: number[] = [sample[Math.min(m - 1, Math.floor(rand() * m))]];
  const d2 = new Float64Array(m);
  for (let i = 0; i < m; i++) d2[i] = (sample[i] - centres[0]) ** 2;
  while (centres.length < k) {
    let total = 0;
    for (let i = 0; i < m; i++) total += d2[i];
    if (total === 0) break;
    let r = rand() * total;
    let pick = m - 1;
    for (let i = 0; i < m; i++) {
      r -= d2[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    const c = sample[pick];
    centres.push(c);
    for (let i = 0; i < m; i++) {
      const d = (sample[i] - c) ** 2;
      if (d < d2[i]) d2[i] = d;
    }
  }
  let c = Float64Array.from(new Set(centres)).sort();

  // Lloyd: cluster j is the interval of sorted values between the midpoints around c[j].
  const maxIter = opts.maxIterations ?? 100;
  let it = 0;
  for (; it < maxIter; it++) {
    const next = new Float64Array(c.length);
    let start = 0;
    let moved = false;
    for (let j = 0; j < c.length; j++) {
      const end = j === c.length - 1 ? n : upperBound(sorted, (c[j] + c[j + 1]) / 2);
      const count = end - start;
      next[j] = count > 0 ? (prefix[end] - prefix[start]) / count : c[j];
      if (next[j] !== c[j]) moved = true;
      start = end;
    }
    c = next.sort();
    if (!moved) break;
  }
  // Empty clusters leave duplicates behind; drop them.
  const unique = c.filter((v, i) => i === 0 || v !== c[i - 1]);
  return { centroids: Float64Array.from(unique), iterations: it };
}

/**
 * Index of the centroid nearest to x (ties go to the lower centroid); centroids ascending.
 *
 * @example
 * ```ts
 * nearest([0, 1, 5], 2.9); // 1
 * ```
 */
export function nearest(centroids: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = centroids.length - 1;
  // Binary search on midpoints between ascending centroids.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x > (centroids[mid] + centroids[mid + 1]) / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
