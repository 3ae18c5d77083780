/**
 * EfficientNet-Lite (Tan & Le, 2019, arXiv:1905.11946 Table 1, and the TensorFlow
 * `efficientnet/lite` release): EfficientNet-B0's MBConv stages with ReLU6 instead of swish, no
 * squeeze-and-excitation, and a stem and head that stay fixed while the model is scaled. Names
 * follow timm's `tf_efficientnet_lite*` (`blocks.1.0.conv_pw.weight`), BN epsilon 0.001.
 */
import { ArgumentError, oneOf, type Graph, type Value } from '@mo/ir';
import { Net } from '../layers.js';
import { makeDivisible, resolveOptions, type ModelOptions } from '../options.js';

/** The published EfficientNet-Lite variants. */
export type EfficientNetLiteVariant = 0 | 1 | 2 | 3 | 4;

/**
 * Valid `variant` values of {@link efficientNetLite}.
 *
 * @example
 * ```ts
 * const graphs = EFFICIENTNET_LITE_VARIANTS.map((variant) => efficientNetLite({ variant }));
 * ```
 */
export const EFFICIENTNET_LITE_VARIANTS: readonly EfficientNetLiteVariant[] = Object.freeze([0, 1, 2, 3, 4] as const);

/** Options of {@link efficientNetLite0}. */
export interface EfficientNetLite0Options extends ModelOptions {
  /** Width coefficient: scales the channels of every block, rounded with makeDivisible(8) (default 1; stem and head stay fixed). */
  widthMultiplier?: number;
  /** Depth coefficient: repeats of stages 2..6 become ceil(repeats * depth) (default 1). */
  depthMultiplier?: number;
}

/** Options of {@link efficientNetLite}. */
export interface EfficientNetLiteOptions extends EfficientNetLite0Options {
  /** Lite0..Lite4 (default 0): sets the width, depth and default resolution. */
  variant?: EfficientNetLiteVariant;
}

/** width, depth, resolution of Lite0..Lite4. */
const VARIANTS: Readonly<Record<EfficientNetLiteVariant, readonly [number, number, number]>> = {
  0: [1.0, 1.0, 224],
  1: [1.0, 1.1, 240],
  2: [1.1, 1.2, 260],
  3: [1.2, 1.4, 280],
  4: [1.4, 1.8, 300],
};

/** EfficientNet-B0 stages: expansion, kernel, stride, output channels, repeats. */
const STAGES: readonly (readonly [number, number, number, number, number])[] = [
  [1, 3, 1, 16, 1],
  [6, 3, 2, 24, 2],
  [6, 5, 2, 40, 2],
  [6, 3, 2, 80, 3],
  [6, 5, 1, 112, 3],
  [6, 5, 2, 192, 4],
  [6, 3, 1, 320, 1],
];

const EPS = 1e-3;

function conv(net: Net, x: Value, p: string, convName: string, bnName: string, spec: { out: number; kernel: number; stride?: number; groups?: number }, act: boolean): Value {
  const y = net.batchNorm(net.conv(x, `${p}.${convName}`, spec), `${p}.${bnName}`, EPS);
  return act ? net.act(y, 'relu6', `${p}.${bnName}.act`) : y;
}

/** MBConv without SE: [1x1 expand], kxk depthwise, 1x1 project, [+ x]. */
function mbconv(net: Net, x: Value, p: string, expand: number, kernel: number, stride: number, out: number): Value {
  const cin = net.channels(x);
  let y: Value;
  if (expand === 1) {
    y = conv(net, x, p, 'conv_dw', 'bn1', { out: cin, kernel, stride, groups: cin }, true);
    y = conv(net, y, p, 'conv_pw', 'bn2', { out, kernel: 1 }, false);
  } else {
    const hidden = cin * expand;
    y = conv(net, x, p, 'conv_pw', 'bn1', { out: hidden, kernel: 1 }, true);
    y = conv(net, y, p, 'conv_dw', 'bn2', { out: hidden, kernel, stride, groups: hidden }, true);
    y = conv(net, y, p, 'conv_pwl', 'bn3', { out, kernel: 1 }, false);
  }
  return stride === 1 && cin === out ? net.add(x, y, `${p}.add`) : y;
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`option '${name}' of efficientNetLite must be a number > 0, got ${String(v)}`);
  return v;
}

/**
 * EfficientNet-Lite0..4 (default Lite0, 224x224: 4.65 M parameters, 385 M MACs).
 *
 * @example
 * ```ts
 * const g = efficientNetLite({ variant: 2 }); // 260x260
 * ```
 */
export function efficientNetLite(opts: EfficientNetLiteOptions = {}): Graph {
  const variant = opts.variant ?? 0;
  if (!EFFICIENTNET_LITE_VARIANTS.includes(variant)) {
    throw new ArgumentError(`option 'variant' of efficientNetLite must be ${oneOf([...EFFICIENTNET_LITE_VARIANTS])}, got ${String(variant)}`);
  }
  const [w0, d0, r0] = VARIANTS[variant];
  const model = `efficientNetLite${variant}`;
  const o = resolveOptions(model, opts, { resolution: r0, numClasses: 1000, inChannels: 3, minResolution: 32 }, ['widthMultiplier', 'depthMultiplier', 'variant']);
  const width = positive('widthMultiplier', opts.widthMultiplier ?? w0);
  const depth = positive('depthMultiplier', opts.depthMultiplier ?? d0);
  const net = new Net(o, `efficientnet_lite${variant}`, `EfficientNet-Lite${variant} (width ${width}, depth ${depth}) at ${o.resolution}x${o.resolution}`);
  let x = net.batchNorm(net.conv(net.input(), 'conv_stem', { out: 32, kernel: 3, stride: 2 }), 'bn1', EPS);
  x = net.act(x, 'relu6', 'bn1.act');
  STAGES.forEach(([expand, kernel, stride, c, n], s) => {
    const fixed = s === 0 || s === STAGES.length - 1;
    const repeats = fixed ? n : Math.ceil(depth * n);
    const out = makeDivisible(c * width, 8);
    for (let i = 0; i < repeats; i++) x = mbconv(net, x, `blocks.${s}.${i}`, expand, kernel, i === 0 ? stride : 1, out);
  });
  x = net.act(net.batchNorm(net.conv(x, 'conv_head', { out: 1280, kernel: 1 }), 'bn2', EPS), 'relu6', 'bn2.act');
  x = net.flatten(net.globalAveragePool(x, 'global_pool'), 'flatten');
  return net.finish(net.linear(x, 'classifier', o.numClasses), { variant, widthMultiplier: width, depthMultiplier: depth });
}

/**
 * EfficientNet-Lite0 at 224x224: 4.65 M parameters, 385 M MACs.
 *
 * @example
 * ```ts
 * const g = efficientNetLite0({ numClasses: 10 });
 * ```
 */
export function efficientNetLite0(opts: EfficientNetLite0Options = {}): Graph {
  if ('variant' in opts) throw new ArgumentError(`unknown option 'variant' for efficientNetLite0; use efficientNetLite({ variant })`);
  return efficientNetLite(opts);
}
