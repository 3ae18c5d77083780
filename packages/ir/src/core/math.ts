/**
 * Special functions that JavaScript's Math lacks, accurate to a few ulps in float64 (they back the
 * reference implementations, so they must be better than any float32 kernel they are compared with).
 */

/** 2 / sqrt(pi). */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** 1 / sqrt(pi). */
const ONE_OVER_SQRT_PI = 0.5641895835477563;
/**
 * Below this |x| erf uses its power series; from here on both functions use erfc's continued
 * fraction (at most ~200 terms at x = 1, fewer beyond), erf as 1 - erfc. This keeps erf and erfc
 * consistent (erf + erfc = 1 to an ulp) and erfc free of the cancellation in 1 - erf.
 */
const CF_LIMIT = 1;
/** erfc(x) is below the smallest subnormal double beyond this x. */
const ERFC_UNDERFLOW = 27.3;

/**
 * exp(-x*x) without the error of rounding x*x first: x*x is split into hi + lo exactly (Dekker),
 * and exp(-lo) ~ 1 - lo since |lo| <= ulp(hi)/2. Matters for large x, where an error of ulp(x^2)
 * in the exponent becomes a relative error of x^2 * 2^-53 in the result.
 */
function expMinusSquare(x: number): number {
  const hi = x * x;
  const c = 134217729 * x; // 2^27 + 1: splits x into two 26-bit halves
  const xh = c - (c - x);
  const xl = x - xh;
  const lo = xh * xh - hi + 2 * xh * xl + xl * xl;
  return Math.exp(-hi) * (1 - lo);
}

/**
 * erf for 0 <= x < CF_LIMIT from the all-positive series
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*5*...*(2n+1)),
 * which, unlike the alternating Maclaurin series, has no cancellation.
 */
function erfSeries(x: number): number {
  const t = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= t / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/**
 * erfc for x >= 1 from the continued fraction
 * erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
 * evaluated with the modified Lentz method.
 */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? 1 / tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * expMinusSquare(x)) / f;
}

/**
 * The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, to about 1e-15 relative in
 * float64 (odd: erf(-x) = -erf(x); erf(+-Inf) = +-1; erf(NaN) = NaN).
 *
 * @example
 * ```ts
 * erf(1); // 0.8427007929497149
 * ```
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const r = ax < CF_LIMIT ? erfSeries(ax) : ax > ERFC_UNDERFLOW ? 1 : 1 - erfcContinuedFraction(ax);
  return x < 0 || Object.is(x, -0) ? -r : r;
}

/**
 * The complementary error function erfc(x) = 1 - erf(x), computed without cancellation for large
 * positive x: relative accuracy about 5e-15 for x >= 1 (continued fraction) down to the underflow
 * near x = 27.3; below x = 1 it is 1 - erf(x), where erfc(x) > 0.15 keeps the cancellation harmless.
 *
 * @example
 * ```ts
 * erfc(5); // 1.5374597944280349e-12
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > ERFC_UNDERFLOW) return 0;
  if (x < -ERFC_UNDERFLOW) return 2;
  if (x >= CF_LIMIT) return erfcContinuedFraction(x);
  if (x <= -CF_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - erf(x);
}
