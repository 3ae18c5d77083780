/**
 * ShuffleNetV2 (Ma et al., 2018, arXiv:1807.11164, Table 5), laid out and named as torchvision's
 * `shufflenet_v2_x*`: channel split, two branches, concat and a channel shuffle written as
 * Reshape -> Transpose -> Reshape.
 */
import { ArgumentError, oneOf, type Graph, type Value } from '@mo/ir';
import { Net } from '../layers.js';
import { resolveOptions, type ModelOptions } from '../options.js';

/** The published widths of ShuffleNetV2. */
export type ShuffleNetV2Width = 0.5 | 1 | 1.5 | 2;

/**
 * Valid `widthMultiplier` values of {@link shuffleNetV2}.
 *
 * @example
 * ```ts
 * const graphs = SHUFFLENET_V2_WIDTHS.map((widthMultiplier) => shuffleNetV2({ widthMultiplier }));
 * ```
 */
export const SHUFFLENET_V2_WIDTHS: readonly ShuffleNetV2Width[] = Object.freeze([0.5, 1, 1.5, 2] as const);

/** Options of {@link shuffleNetV2}. */
export interface ShuffleNetV2Options extends ModelOptions {
  /** One of the published widths (default 1). */
  widthMultiplier?: ShuffleNetV2Width;
}

/** Output channels of conv1, stage2, stage3, stage4 and conv5 per width (paper, Table 5). */
const CHANNELS: Readonly<Record<ShuffleNetV2Width, readonly number[]>> = {
  0.5: [24, 48, 96, 192, 1024],
  1: [24, 116, 232, 464, 1024],
  1.5: [24, 176, 352, 704, 1024],
  2: [24, 244, 488, 976, 2048],
};
const REPEATS = [4, 8, 4];

/** Interleaves the channels of the two halves: [N, 2, C/2, H, W] -> [N, C/2, 2, H, W] -> [N, C, H, W]. */
function channelShuffle(net: Net, x: Value, p: string): Value {
  const [, c, h, w] = x.shape as number[];
  const y = net.reshape(x, [0, 2, c / 2, h, w], `${p}.shuffle.reshape`);
  const t = net.transpose(y, [0, 2, 1, 3, 4], `${p}.shuffle.transpose`);
  return net.reshape(t, [0, c, h, w], `${p}.shuffle.flatten`);
}

/** torchvision's InvertedResidual of ShuffleNetV2. */
function unit(net: Net, x: Value, p: string, out: number, stride: number): Value {
  const half = out / 2;
  let left: Value;
  let right: Value;
  if (stride === 1) {
    [left, right] = net.split(x, [half, half], `${p}.split`);
  } else {
    const cin = net.channels(x);
    left = net.batchNorm(net.conv(x, `${p}.branch1.0`, { out: cin, kernel: 3, stride, groups: cin }), `${p}.branch1.1`);
    left = net.act(net.batchNorm(net.conv(left, `${p}.branch1.2`, { out: half, kernel: 1 }), `${p}.branch1.3`), 'relu', `${p}.branch1.4`);
    right = x;
  }
  let r = net.act(net.batchNorm(net.conv(right, `${p}.branch2.0`, { out: half, kernel: 1 }), `${p}.branch2.1`), 'relu', `${p}.branch2.2`);
  r = net.batchNorm(net.conv(r, `${p}.branch2.3`, { out: half, kernel: 3, stride, groups: half }), `${p}.branch2.4`);
  r = net.act(net.batchNorm(net.conv(r, `${p}.branch2.5`, { out: half, kernel: 1 }), `${p}.branch2.6`), 'relu', `${p}.branch2.7`);
  return channelShuffle(net, net.concat([left, r], `${p}.concat`), p);
}

/**
 * ShuffleNetV2 at width 1.0 (default) or 0.5/1.5/2.0 and 224x224: 2.28 M parameters and 149 M
 * MACs at 1.0, 1.37 M and 43 M at 0.5.
 *
 * @example
 * ```ts
 * const g = shuffleNetV2({ widthMultiplier: 0.5 });
 * ```
 */
export function shuffleNetV2(opts: ShuffleNetV2Options = {}): Graph {
  const o = resolveOptions('shuffleNetV2', opts, { resolution: 224, numClasses: 1000, inChannels: 3, minResolution: 32 }, ['widthMultiplier']);
  const width = opts.widthMultiplier ?? 1;
  if (!SHUFFLENET_V2_WIDTHS.includes(width)) {
    throw new ArgumentError(`option 'widthMultiplier' of shuffleNetV2 must be ${oneOf([...SHUFFLENET_V2_WIDTHS])}, got ${String(width)}`);
  }
  const ch = CHANNELS[width];
  const net = new Net(o, `shufflenet_v2_x${String(width).replace('.', '_')}`, `ShuffleNetV2 ${width}x at ${o.resolution}x${o.resolution}`);
  let x = net.convBnAct(net.input(), 'conv1', { out: ch[0], kernel: 3, stride: 2, act: 'relu' });
  x = net.maxPool(x, 'maxpool', 3, 2, 1);
  REPEATS.forEach((n, s) => {
    for (let i = 0; i < n; i++) x = unit(net, x, `stage${s + 2}.${i}`, ch[s + 1], i === 0 ? 2 : 1);
  });
  x = net.convBnAct(x, 'conv5', { out: ch[4], kernel: 1, act: 'relu' });
  x = net.flatten(net.globalAveragePool(x, 'avgpool'), 'flatten');
  return net.finish(net.linear(x, 'fc', o.numClasses), { widthMultiplier: width });
}
