/**
 * Axis arguments: normalising possibly negative axes into [0, rank), with errors that name the
 * argument, the rank and the valid range.
 */
import type { Fail, OpContext } from './context.js';

/**
 * Normalises `axis` into [0, rank), or fails through `fail` (default `ctx.fail`, a ShapeError;
 * pass `ctx.failAttr` when the axis comes from an attribute that is checked as such).
 *
 * @example
 * ```ts
 * axisIn(ctx, -1, 3); // 2
 * axisIn(ctx, 3, 3, 'axis', ctx.failAttr); // throws AttributeError "axis 3 is out of range for rank 3 (valid: -3..2)"
 * ```
 */
export function axisIn(ctx: OpContext, axis: number, rank: number, what = 'axis', fail: Fail = ctx.fail): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(rank === 0
      ? `${what} ${axis} is invalid: the input is a scalar (rank 0) and has no axes`
      : `${what} ${axis} is out of range for rank ${rank} (valid: ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises a list of axes (in their given order), failing on out-of-range or repeated ones. */
export function axesIn(ctx: OpContext, axes: readonly number[], rank: number, what = 'axes', fail: Fail = ctx.fail): number[] {
  const out = axes.map((a) => axisIn(ctx, a, rank, `${what} entry`, fail));
  const dup = out.find((a, i) => out.indexOf(a) !== i);
  if (dup !== undefined) fail(`${what} [${axes.join(',')}] name axis ${dup} more than once (axes may not repeat)`);
  return out;
}
