/**
 * The QAT training hook for weights and biases: the forward sees every quantized node's weight on
 * the static converter's grid (symmetric int8, per channel, scales from the current weights, via
 * the converter's own quantizeAffine) and its bias on the int32 grid of input scale x weight
 * scale (quantizeBias); gradients pass straight through to the float parameters.
 */
import { Tensor, type Graph } from '@mo/ir';
import type { TrainingHook } from '@mo/train';
import { biasScales, staticWeightScheme, type StaticPlan } from '../graph/static.js';
import type { ActivationParams } from '../report-types.js';
import { quantizeAffine, quantizeBias, type Granularity } from '../weights/affine.js';

interface WeightRule {
  readonly granularity: Granularity;
}
interface BiasRule {
  readonly weight: string;
  readonly granularity: Granularity;
  readonly inputScale: number;
}

/** The rules of every quantized weight and bias of `g`. */
export function weightRules(g: Graph, plan: StaticPlan, params: ReadonlyMap<string, ActivationParams>, perChannel: boolean): { weights: Map<string, WeightRule>; biases: Map<string, BiasRule> } {
  const weights = new Map<string, WeightRule>();
  const biases = new Map<string, BiasRule>();
  for (const n of g.nodes) {
    const s = staticWeightScheme(g, n, plan, params, perChannel);
    if (!s) continue;
    weights.set(s.weight.name, { granularity: s.granularity });
    if (s.biasSlot && s.xParams && s.beta === 1) biases.set(s.biasSlot.name, { weight: s.weight.name, granularity: s.granularity, inputScale: s.xParams.scale });
  }
  return { weights, biases };
}

const weightGrid = (w: Tensor, granularity: Granularity) => quantizeAffine(w, { bits: 8, symmetric: true, granularity });

/** Fake quantization of weights and biases as the static converter quantizes them. */
export function staticWeightHook(rules: ReturnType<typeof weightRules>): TrainingHook {
  let live: ReadonlyMap<string, Tensor> = new Map();
  return {
    name: 'quantize.staticWeights',
    setup({ params }) {
      live = params;
    },
    transformParam(name, value) {
      const w = rules.weights.get(name);
      if (w) return new Tensor('float32', value.shape, weightGrid(value, w.granularity).dequantized);
      const b = rules.biases.get(name);
      if (!b) return undefined;
      // The bias grid follows the weight's current scales, as the converter computes them.
      const weight = live.get(b.weight);
      if (!weight) return undefined;
      const scales = biasScales(b.inputScale, weightGrid(weight, b.granularity).scales, value.size);
      return new Tensor('float32', value.shape, quantizeBias(value, scales).dequantized);
    },
  };
}
