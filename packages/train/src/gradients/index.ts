/**
 * The gradient table: every rule, registered once. To add a gradient, add a `defineGradient`
 * entry to the family file of the op (src/gradients/<family>.ts) and a gradient-check case to
 * test/gradients/cases.ts (the coverage test fails without one).
 */
import { registerGradients, type GradientRule } from '../autodiff/registry.js';
import { convGradients } from './conv.js';
import { elementwiseGradients } from './elementwise.js';
import { matmulGradients } from './matmul.js';
import { movementGradients } from './movement.js';
import { normalizationGradients } from './normalization.js';
import { poolGradients } from './pool.js';
import { reduceGradients } from './reduce.js';
import { softmaxGradients } from './softmax.js';

/**
 * Every built-in gradient rule (registered on import).
 *
 * @example
 * ```ts
 * console.log(BUILTIN_GRADIENTS.map((r) => r.op));
 * ```
 */
export const BUILTIN_GRADIENTS: readonly GradientRule[] = [
  ...elementwiseGradients,
  ...matmulGradients,
  ...convGradients,
  ...poolGradients,
  ...normalizationGradients,
  ...softmaxGradients,
  ...reduceGradients,
  ...movementGradients,
];

registerGradients(BUILTIN_GRADIENTS);
