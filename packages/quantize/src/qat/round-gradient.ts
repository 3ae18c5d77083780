/**
 * Round's gradient for quantization-aware training: straight through (1), the estimator of
 * Bengio et al. that every QAT framework uses. Round's exact derivative is 0 almost everywhere,
 * which would stop all learning behind a fake-quantized activation. @mo/train has no rule for
 * Round, so this one is registered when QAT first runs, unless one already exists.
 */
import { defineGradient, findGradient, registerGradients } from '@mo/train';

const roundStraightThrough = defineGradient({
  op: 'Round',
  doc: 'Straight-through estimator: 1 (registered by @mo/quantize for quantization-aware training).',
  grad: (ctx) => [ctx.gradOutputs[0]],
});

/** Registers the straight-through Round gradient once; true when Round now passes gradients. */
export function ensureRoundGradient(): boolean {
  if (!findGradient('Round')) registerGradients([roundStraightThrough]);
  return findGradient('Round') === roundStraightThrough;
}
