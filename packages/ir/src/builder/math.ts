/**
 * Builder methods for elementwise math and activations.
 */
import type { DType } from '../core/dtype.js';
import { GraphBuilder, type AttrsIn, type Value, type ValueLike } from './builder.js';

type Binary = (a: ValueLike, b: ValueLike) => Value;
type Unary = (x: Value) => Value;

declare module './builder.js' {
  interface GraphBuilder {
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
}

const P = GraphBuilder.prototype;
const binary = (op: string): Binary => function (this: GraphBuilder, a, b) { return this.op1(op, [a, b]); };
const unary = (op: string): Unary => function (this: GraphBuilder, x) { return this.op1(op, [x]); };

P.add = binary('Add'); P.sub = binary('Sub'); P.mul = binary('Mul'); P.div = binary('Div'); P.pow = binary('Pow'); P.mod = binary('Mod');
P.min = binary('Min'); P.max = binary('Max'); P.equal = binary('Equal'); P.less = binary('Less'); P.greater = binary('Greater');
P.lessOrEqual = binary('LessOrEqual'); P.greaterOrEqual = binary('GreaterOrEqual');
P.and = binary('And'); P.or = binary('Or'); P.xor = binary('Xor');
P.neg = unary('Neg'); P.abs = unary('Abs'); P.reciprocal = unary('Reciprocal'); P.sqrt = unary('Sqrt'); P.exp = unary('Exp'); P.log = unary('Log');
P.floor = unary('Floor'); P.ceil = unary('Ceil'); P.round = unary('Round'); P.sign = unary('Sign'); P.sin = unary('Sin'); P.cos = unary('Cos');
P.erf = unary('Erf'); P.not = unary('Not');
P.relu = unary('Relu'); P.sigmoid = unary('Sigmoid'); P.tanh = unary('Tanh'); P.hardSwish = unary('HardSwish');
P.softplus = unary('Softplus'); P.softsign = unary('Softsign'); P.mish = unary('Mish');
P.gelu = function (x, approximate) { return this.op1('Gelu', [x], { approximate }); };
P.leakyRelu = function (x, alpha) { return this.op1('LeakyRelu', [x], { alpha }); };
P.elu = function (x, alpha) { return this.op1('Elu', [x], { alpha }); };
P.hardSigmoid = function (x, alpha, beta) { return this.op1('HardSigmoid', [x], { alpha, beta }); };
P.prelu = function (x, slope) { return this.op1('PRelu', [x, slope]); };
P.clip = function (x, min, max) { return this.op1('Clip', [x, min, max]); };
P.where = function (cond, a, b) { return this.op1('Where', [cond, a, b]); };
P.cast = function (x, to) { return this.op1('Cast', [x], { to }); };
P.unary = function (op, x, attrs) { return this.op1(op, [x], attrs); };
