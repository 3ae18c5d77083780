/**
 * MobileNetV2 (Sandler et al., 2018, arXiv:1801.04381, Table 2): inverted residual blocks with
 * linear bottlenecks and ReLU6, laid out and named as torchvision's `mobilenet_v2`; channels are
 * rounded with makeDivisible(8). `mobilenetV2Mini` is the same design sized for 28x28 grayscale
 * images (Fashion-MNIST).
 */
import { ArgumentError, type Graph, type Value } from '@mo/ir';
import { Net } from '../layers.js';
import { makeDivisible, resolveOptions, widthOf, type WidthOptions } from '../options.js';

/** One stage of inverted residual blocks: expansion t, output channels c, repeats n, first stride s. */
export interface InvertedResidualStage {
  readonly t: number;
  readonly c: number;
  readonly n: number;
  readonly s: number;
}

/** Options of {@link mobilenetV2}. */
export interface MobileNetV2Options extends WidthOptions {
  /** Stages (default: the paper's Table 2). Channels are scaled by the width multiplier. */
  stages?: readonly InvertedResidualStage[];
  /** Stem output channels before width scaling (default 32). */
  stemChannels?: number;
  /** Stride of the stem conv (default 2). */
  stemStride?: number;
  /** Channels of the last 1x1 conv before scaling (default 1280; scaled only when width > 1, as in the paper). */
  lastChannels?: number;
}

const STAGES: readonly InvertedResidualStage[] = Object.freeze([
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
]);

/** Stages of {@link mobilenetV2Mini}: two stride-2 stages, so a 28x28 input ends at 7x7. */
const MINI_STAGES: readonly InvertedResidualStage[] = Object.freeze([
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 2, s: 1 },
  { t: 6, c: 96, n: 1, s: 1 },
]);

const EXTRA_KEYS = ['widthMultiplier', 'stages', 'stemChannels', 'stemStride', 'lastChannels'];

/** An inverted residual block: [1x1 expand, BN, ReLU6], 3x3 depthwise, BN, ReLU6, 1x1 project, BN, [+ x]. */
function invertedResidual(net: Net, x: Value, p: string, out: number, stride: number, t: number): Value {
  const cin = net.channels(x);
  const hidden = Math.round(cin * t);
  let y = x;
  let i = 0;
  if (t !== 1) y = net.convBnAct(y, `${p}.conv.${i++}`, { out: hidden, kernel: 1, act: 'relu6' });
  y = net.convBnAct(y, `${p}.conv.${i++}`, { out: hidden, kernel: 3, stride, groups: hidden, act: 'relu6' });
  y = net.batchNorm(net.conv(y, `${p}.conv.${i}`, { out, kernel: 1 }), `${p}.conv.${i + 1}`);
  return stride === 1 && cin === out ? net.add(x, y, `${p}.add`) : y;
}

function build(model: string, graphName: string, opts: MobileNetV2Options, defaults: { resolution: number; numClasses: number; inChannels: number }, base: Required<Pick<MobileNetV2Options, 'stages' | 'stemChannels' | 'stemStride' | 'lastChannels'>>): Graph {
  const stages = opts.stages ?? base.stages;
  const stemStride = opts.stemStride ?? base.stemStride;
  if (!Array.isArray(stages) || stages.length === 0) throw new ArgumentError(`option 'stages' of ${model} must be a non-empty array of {t, c, n, s}`);
  for (const s of stages) {
    if (![s.t, s.c, s.n, s.s].every((v) => Number.isInteger(v) && v >= 1)) throw new ArgumentError(`option 'stages' of ${model}: every stage needs integers t, c, n, s >= 1, got ${JSON.stringify(s)}`);
  }
  const downsampling = stages.filter((s) => s.s > 1).length + (stemStride > 1 ? 1 : 0);
  const o = resolveOptions(model, opts, { ...defaults, minResolution: 2 ** downsampling }, EXTRA_KEYS);
  const width = widthOf(model, opts);
  const net = new Net(o, graphName, `MobileNetV2 ${width} at ${o.resolution}x${o.resolution}`);
  let x = net.convBnAct(net.input(), 'features.0', { out: makeDivisible((opts.stemChannels ?? base.stemChannels) * width), kernel: 3, stride: stemStride, act: 'relu6' });
  let idx = 1;
  for (const { t, c, n, s } of stages) {
    const out = makeDivisible(c * width);
    for (let i = 0; i < n; i++) x = invertedResidual(net, x, `features.${idx++}`, out, i === 0 ? s : 1, t);
  }
  const last = makeDivisible((opts.lastChannels ?? base.lastChannels) * Math.max(1, width));
  x = net.convBnAct(x, `features.${idx}`, { out: last, kernel: 1, act: 'relu6' });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'classifier.1', o.numClasses), { widthMultiplier: width });
}

/**
 * MobileNetV2 at width 1.0 and 224x224: 3.50 M parameters, 300 M MACs. Names follow torchvision
 * (`features.3.conv.1.0.weight`, `classifier.1.weight`), so its state_dict loads by name.
 *
 * @example
 * ```ts
 * const g = mobilenetV2({ widthMultiplier: 0.75, resolution: 160, numClasses: 10 });
 * ```
 */
export function mobilenetV2(opts: MobileNetV2Options = {}): Graph {
  return build('mobilenetV2', 'mobilenet_v2', opts, { resolution: 224, numClasses: 1000, inChannels: 3 }, { stages: STAGES, stemChannels: 32, stemStride: 2, lastChannels: 1280 });
}

/**
 * A MobileNetV2 for 28x28 grayscale images (Fashion-MNIST): stem stride 1, 16-channel stem,
 * stages t/c/n/s = 1/16/1/1, 6/24/2/2, 6/32/3/2, 6/64/2/1, 6/96/1/1, a 512-channel last conv and
 * 10 classes; about 0.25 M parameters and 15 M MACs. Every {@link MobileNetV2Options} applies.
 *
 * @example
 * ```ts
 * const g = mobilenetV2Mini({ widthMultiplier: 0.5 });
 * ```
 */
export function mobilenetV2Mini(opts: MobileNetV2Options = {}): Graph {
  return build('mobilenetV2Mini', 'mobilenet_v2_mini', opts, { resolution: 28, numClasses: 10, inChannels: 1 }, { stages: MINI_STAGES, stemChannels: 16, stemStride: 1, lastChannels: 512 });
}
