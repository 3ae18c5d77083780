/**
 * Builder methods for elementwise math and activations.
 */
import type { DType } from '../core/dtype.js';
import type { GraphBuilder, AttrsIn, Value, ValueLike } from './builder.js';

type Binary = (a: ValueLike, b: ValueLike) => Value;
type Unary = (x: Value) => Value;

/** Builder methods of this family (mixed into GraphBuilder). */
export interface MathMethods {
  add: Binary; sub: Binary; mul: Binary; div: Binary; pow: Binary; mod: Binary;
  min: Binary; max: Binary; equal: Binary; less: Binary; greater: Binary; lessOrEqual: Binary; greaterOrEqual: Binary;
  and: Binary; or: Binary; xor: Binary;
  neg: Unary; abs: Unary; reciprocal: Unary; sqrt: Unary; exp: Unary; log: Unary; floor: Unary; ceil: Unary; round: Unary;
  sign: Unary; sin: Unary; cos: Unary; erf: Unary; not: Unary;
  relu: Unary; sigmoid: Unary; tanh: Unary; hardSwish: Unary; softplus: Unary; softsign: Unary; mish: Unary;
  /** Gelu, exact (`'none'`) or tanh-approximated. */
  gelu(x: Value, approximate?: 'none' | 'tanh'): Value;
  leakyRelu(x: Value, alpha?: number): Value;
  elu(x: Value, alpha?: number): Value;
  hardSigmoid(x: Value, alpha?: number, beta?: number): Value;
  prelu(x: Value, slope: ValueLike): Value;
  /** Clip to [min, max]; either bound may be omitted. `b.clip(x, 0, 6)` is ReLU6. */
  clip(x: Value, min?: ValueLike, max?: ValueLike): Value;
  where(cond: Value, a: ValueLike, b: ValueLike): Value;
  cast(x: Value, to: DType): Value;
  /** Any unary elementwise op by name, with attributes. */
  unary(op: string, x: Value, attrs?: AttrsIn): Value;
}

const binary = (op: string): Binary => function (this: GraphBuilder, a, b) { return this.op1(op, [a, b]); };
const unary = (op: string): Unary => function (this: GraphBuilder, x) { return this.op1(op, [x]); };

export const mathMethods: MathMethods & ThisType<GraphBuilder> = {
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  pow: binary('Pow'),
  mod: binary('Mod'),
  min: binary('Min'),
  max: binary('Max'),
  equal: binary('Equal'),
  less: binary('Less'),
  greater: binary('Greater'),
  lessOrEqual: binary('LessOrEqual'),
  greaterOrEqual: binary('GreaterOrEqual'),
  and: binary('And'),
  or: binary('Or'),
  xor: binary('Xor'),
  neg: unary('Neg'),
  abs: unary('Abs'),
  reciprocal: unary('Reciprocal'),
  sqrt: unary('Sqrt'),
  exp: unary('Exp'),
  log: unary('Log'),
  floor: unary('Floor'),
  ceil: unary('Ceil'),
  round: unary('Round'),
  sign: unary('Sign'),
  sin: unary('Sin'),
  cos: unary('Cos'),
  erf: unary('Erf'),
  not: unary('Not'),
  relu: unary('Relu'),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  hardSwish: unary('HardSwish'),
  softplus: unary('Softplus'),
  softsign: unary('Softsign'),
  mish: unary('Mish'),
  gelu: function (x, approximate) { return this.op1('Gelu', [x], { approximate }); },
  leakyRelu: function (x, alpha) { return this.op1('LeakyRelu', [x], { alpha }); },
  elu: function (x, alpha) { return this.op1('Elu', [x], { alpha }); },
  hardSigmoid: function (x, alpha, beta) { return this.op1('HardSigmoid', [x], { alpha, beta }); },
  prelu: function (x, slope) { return this.op1('PRelu', [x, slope]); },
  clip: function (x, min, max) { return this.op1('Clip', [x, min, max]); },
  where: function (cond, a, b) { return this.op1('Where', [cond, a, b]); },
  cast: function (x, to) { return this.op1('Cast', [x], { to }); },
  unary: function (op, x, attrs) { return this.op1(op, [x], attrs); },
};
