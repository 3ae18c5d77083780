/**
 * The elementwise family: output element i depends only on the (broadcast) input elements at i.
 * Split by theme into elementwise-*.ts; the shared value model and loops are in
 * elementwise-kernel.ts.
 */
import type { OpSchema } from './schema.js';
import { activationOps } from './elementwise-activation.js';
import { arithmeticOps } from './elementwise-arith.js';
import { castOps } from './elementwise-cast.js';
import { logicOps } from './elementwise-logic.js';
import { unaryMathOps } from './elementwise-unary.js';

/** Ops of this family. */
export const elementwiseOps: readonly OpSchema[] = [...arithmeticOps, ...logicOps, ...unaryMathOps, ...activationOps, ...castOps];
