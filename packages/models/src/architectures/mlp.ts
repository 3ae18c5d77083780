/**
 * A multilayer perceptron on flattened images: Linear-ReLU layers and a linear classifier.
 */
import { ArgumentError, type Graph } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, type ModelOptions } from '../options.js';

/** Options of {@link mlp}. */
export interface MlpOptions extends ModelOptions {
  /** Widths of the hidden layers (default [256, 128]; [] gives a linear classifier). */
  hiddenSizes?: readonly number[];
}

/**
 * An MLP: a 28x28x1 image is flattened to 784 features, then `hiddenSizes` Linear-ReLU layers
 * (`fc.i`) and a linear `classifier`; 235 K parameters by default.
 *
 * @example
 * ```ts
 * const g = mlp({ hiddenSizes: [64], numClasses: 10 });
 * ```
 */
export function mlp(opts: MlpOptions = {}): Graph {
  const hidden = opts.hiddenSizes ?? [256, 128];
  if (!Array.isArray(hidden) || !hidden.every((c) => Number.isInteger(c) && c >= 1)) {
    throw new ArgumentError(`option 'hiddenSizes' of mlp must be an array of integers >= 1, got ${JSON.stringify(hidden)}`);
  }
  const o = resolveOptions('mlp', opts, { resolution: 28, numClasses: 10, inChannels: 1, minResolution: 1 }, ['hiddenSizes']);
  const net = new Net(o, 'mlp', `MLP [${hidden.join(', ')}] on ${o.inChannels}x${o.resolution}x${o.resolution}`);
  let x = net.flatten(net.input(), 'flatten');
  hidden.forEach((h, i) => (x = net.act(net.linear(x, `fc.${i}`, h), 'relu', `fc.${i}.relu`)));
  return net.finish(net.linear(x, 'classifier', o.numClasses), { hiddenSizes: hidden.join(',') });
}
