/**
 * Unary math: Neg, Abs, Reciprocal, Sqrt, Exp, Log, Floor, Ceil, Round, Sign, the trigonometric
 * and hyperbolic functions, Erf and BitwiseNot. Float results are computed in float64 and rounded
 * once to T; integer ones are exact and wrap (Abs/Neg of the most negative value give it back).
 */
import { FLOAT_TYPES, INT_TYPES, NUMERIC_TYPES, type DType } from '../core/dtype.js';
import { erf } from '../core/math.js';
import { roundHalfEven } from '../core/quant.js';
import { unaryOp } from './elementwise-kernel.js';
import type { OpSchema } from './schema.js';

const SIGNED_INT_TYPES: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];

/** A float-only unary op from a float64 function. */
const floatFn = (name: string, since: number, doc: string, f: (x: number) => number): OpSchema =>
  unaryOp({ name, since, doc, types: FLOAT_TYPES, float: () => f });

const neg = unaryOp({
  name: 'Neg', since: 13, types: [...FLOAT_TYPES, ...SIGNED_INT_TYPES],
  doc: 'Y = -X (integers wrap: -int_min = int_min).',
  float: () => (x) => -x,
  int: () => (x) => -x,
});

const abs = unaryOp({
  name: 'Abs', since: 13, types: NUMERIC_TYPES,
  doc: 'Y = |X| (integers wrap: |int_min| = int_min).',
  float: () => Math.abs,
  int: () => (x) => (x < 0n ? -x : x),
});

const sign = unaryOp({
  name: 'Sign', since: 13, types: NUMERIC_TYPES,
  doc: 'Y = -1, 0 or 1 by the sign of X (NaN stays NaN).',
  float: () => (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  int: () => (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n),
});

const bitwiseNot = unaryOp({
  name: 'BitwiseNot', since: 18, types: INT_TYPES,
  doc: 'Bitwise complement of integers.',
  int: () => (x) => ~x,
});

export const unaryMathOps: readonly OpSchema[] = [
  neg,
  abs,
  sign,
  bitwiseNot,
  floatFn('Reciprocal', 13, 'Y = 1 / X.', (x) => 1 / x),
  floatFn('Sqrt', 13, 'Y = sqrt(X) (NaN for X < 0).', Math.sqrt),
  floatFn('Exp', 13, 'Y = e^X.', Math.exp),
  floatFn('Log', 13, 'Y = ln(X) (NaN for X < 0, -Inf for 0).', Math.log),
  floatFn('Floor', 13, 'Largest integer <= X.', Math.floor),
  floatFn('Ceil', 13, 'Smallest integer >= X.', Math.ceil),
  floatFn('Round', 22, 'Nearest integer, ties to even (2.5 -> 2, -1.5 -> -2).', roundHalfEven),
  floatFn('Sin', 22, 'Y = sin(X).', Math.sin),
  floatFn('Cos', 22, 'Y = cos(X).', Math.cos),
  floatFn('Tan', 22, 'Y = tan(X).', Math.tan),
  floatFn('Asin', 22, 'Y = arcsin(X) (NaN outside [-1, 1]).', Math.asin),
  floatFn('Acos', 22, 'Y = arccos(X) (NaN outside [-1, 1]).', Math.acos),
  floatFn('Atan', 22, 'Y = arctan(X).', Math.atan),
  floatFn('Sinh', 22, 'Y = sinh(X).', Math.sinh),
  floatFn('Cosh', 22, 'Y = cosh(X).', Math.cosh),
  floatFn('Asinh', 22, 'Y = arsinh(X).', Math.asinh),
  floatFn('Acosh', 22, 'Y = arcosh(X) (NaN below 1).', Math.acosh),
  floatFn('Atanh', 22, 'Y = artanh(X) (NaN outside [-1, 1], +-Inf at +-1).', Math.atanh),
  floatFn('Erf', 13, 'Y = erf(X), the Gauss error function.', erf),
];
