/**
 * Logic, comparison and selection: And, Or, Xor, Not, Equal, Less, LessOrEqual, Greater,
 * GreaterOrEqual, Where, IsNaN, IsInf. Comparisons broadcast and give bool; integers compare
 * exactly (bigint), NaN compares unequal and unordered to everything.
 */
import { ALL_TYPES, FLOAT_TYPES, NUMERIC_TYPES, type DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import { broadcastType, elementwiseOp, mapBroadcast, mapUnary, type Value } from './elementwise-kernel.js';
import type { OpSchema, OpTag } from './schema.js';

const BOOL: readonly DType[] = ['bool'];

interface PredicateSpec {
  name: string;
  doc: string;
  since: number;
  types: readonly DType[];
  tags?: readonly OpTag[];
  /** Works on numbers and on bigints alike (both operands have one kind). */
  test: (a: Value, b: Value) => boolean;
}

/** A broadcasting binary predicate T x T -> bool. */
function predicateOp(s: PredicateSpec): OpSchema {
  return elementwiseOp({
    name: s.name,
    tags: s.tags,
    doc: s.doc,
    since: s.since,
    inputs: [{ name: 'A', type: 'T' }, { name: 'B', type: 'T' }],
    outputs: [{ name: 'C', type: 'T1' }],
    types: { T: s.types, T1: BOOL },
    infer: (ctx) => [broadcastType(ctx, 'bool')],
    run: (ctx) => [mapBroadcast(ctx, ctx.inputs as Tensor[], 'bool', ([a, b]) => s.test(a, b))],
  });
}

const and = predicateOp({ name: 'And', since: 7, types: BOOL, tags: ['commutative'], doc: 'Logical AND of bools with broadcasting.', test: (a, b) => a !== 0 && b !== 0 });
const or = predicateOp({ name: 'Or', since: 7, types: BOOL, tags: ['commutative'], doc: 'Logical OR of bools with broadcasting.', test: (a, b) => a !== 0 || b !== 0 });
const xor = predicateOp({ name: 'Xor', since: 7, types: BOOL, tags: ['commutative'], doc: 'Logical XOR of bools with broadcasting.', test: (a, b) => (a !== 0) !== (b !== 0) });

const equal = predicateOp({
  name: 'Equal', since: 19, types: ['bool', ...NUMERIC_TYPES], tags: ['commutative'],
  doc: 'A == B with broadcasting (NaN is unequal to everything, +0 equals -0).',
  test: (a, b) => a === b,
});
const less = predicateOp({ name: 'Less', since: 13, types: NUMERIC_TYPES, doc: 'A < B with broadcasting.', test: (a, b) => a < b });
const lessOrEqual = predicateOp({ name: 'LessOrEqual', since: 16, types: NUMERIC_TYPES, doc: 'A <= B with broadcasting.', test: (a, b) => a <= b });
const greater = predicateOp({ name: 'Greater', since: 13, types: NUMERIC_TYPES, doc: 'A > B with broadcasting.', test: (a, b) => a > b });
const greaterOrEqual = predicateOp({ name: 'GreaterOrEqual', since: 16, types: NUMERIC_TYPES, doc: 'A >= B with broadcasting.', test: (a, b) => a >= b });

const not = elementwiseOp({
  name: 'Not',
  doc: 'Logical negation of bools.',
  since: 1,
  inputs: [{ name: 'X', type: 'T' }],
  outputs: [{ name: 'Y', type: 'T' }],
  types: { T: BOOL },
  infer: (ctx) => [{ dtype: 'bool', shape: ctx.inputs[0]!.shape }],
  run: (ctx) => [mapUnary(ctx.inputs[0]!, 'bool', (x) => x === 0)],
});

const where = elementwiseOp({
  name: 'Where',
  doc: 'output = condition ? X : Y, all three broadcast together.',
  since: 16,
  inputs: [{ name: 'condition', type: 'B' }, { name: 'X', type: 'T' }, { name: 'Y', type: 'T' }],
  outputs: [{ name: 'output', type: 'T' }],
  types: { B: BOOL, T: ALL_TYPES },
  infer: (ctx) => [broadcastType(ctx, ctx.inputs[1]!.dtype)],
  run(ctx) {
    const [c, x, y] = ctx.inputs as Tensor[];
    return [mapBroadcast(ctx, [c, x, y], x.dtype, ([cond, a, b]) => (cond !== 0 ? a : b))];
  },
});

const isNaNOp = elementwiseOp({
  name: 'IsNaN',
  doc: 'True where X is NaN.',
  since: 20,
  inputs: [{ name: 'X', type: 'T1' }],
  outputs: [{ name: 'Y', type: 'T2' }],
  types: { T1: FLOAT_TYPES, T2: BOOL },
  infer: (ctx) => [{ dtype: 'bool', shape: ctx.inputs[0]!.shape }],
  run: (ctx) => [mapUnary(ctx.inputs[0]!, 'bool', (x) => Number.isNaN(x))],
});

const isInfOp = elementwiseOp({
  name: 'IsInf',
  doc: 'True where X is +Inf (if detect_positive) or -Inf (if detect_negative).',
  since: 20,
  inputs: [{ name: 'X', type: 'T1' }],
  outputs: [{ name: 'Y', type: 'T2' }],
  types: { T1: FLOAT_TYPES, T2: BOOL },
  attrs: {
    detect_negative: { type: 'int', default: 1, values: [0, 1], doc: 'report -Inf' },
    detect_positive: { type: 'int', default: 1, values: [0, 1], doc: 'report +Inf' },
  },
  infer: (ctx) => [{ dtype: 'bool', shape: ctx.inputs[0]!.shape }],
  run(ctx) {
    const neg = ctx.int('detect_negative') === 1;
    const pos = ctx.int('detect_positive') === 1;
    return [mapUnary(ctx.inputs[0]!, 'bool', (x) => (pos && x === Infinity) || (neg && x === -Infinity))];
  },
});

export const logicOps: readonly OpSchema[] = [and, or, xor, not, equal, less, lessOrEqual, greater, greaterOrEqual, where, isNaNOp, isInfOp];
