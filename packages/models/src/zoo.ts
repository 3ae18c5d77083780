/**
 * The model zoo: every builder by name, with its input and the published size and cost.
 */
import { ArgumentError, oneOf, type Graph } from '@mo/ir';
import { efficientNetLite0, type EfficientNetLite0Options } from './architectures/efficientnet-lite.js';
import { mlp, type MlpOptions } from './architectures/mlp.js';
import { mobilenetV1, type MobileNetV1Options } from './architectures/mobilenet-v1.js';
import { mobilenetV2, mobilenetV2Mini, type MobileNetV2Options } from './architectures/mobilenet-v2.js';
import { mobilenetV3Large, mobilenetV3Small, type MobileNetV3Options } from './architectures/mobilenet-v3.js';
import { resNet18, type ResNetOptions } from './architectures/resnet.js';
import { shuffleNetV2, type ShuffleNetV2Options } from './architectures/shufflenet-v2.js';
import { smallCnn, type SmallCnnOptions } from './architectures/small-cnn.js';
import { squeezeNet1_1, type SqueezeNetOptions } from './architectures/squeezenet.js';

/** Published size and cost of a model at its default options (batch 1). */
export interface PublishedFigures {
  /** Parameters as the source counts them (conv/linear weights and biases, BN scale and shift). */
  readonly parameters: number;
  /** Multiply-accumulates of one image as the source counts them (convolutions and linear layers). */
  readonly macs: number;
  /** Where the figures come from. */
  readonly source: string;
}

/** One entry of {@link modelZoo}. */
export interface ModelInfo<O> {
  /** Builds the model; options as the builder takes them. */
  readonly build: (opts?: O) => Graph;
  readonly description: string;
  /** Default input of one image: [channels, height, width]. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** Published figures, for models that have them. */
  readonly published?: PublishedFigures;
}

function entry<O>(info: ModelInfo<O>): ModelInfo<O> {
  return Object.freeze({ ...info, inputShape: Object.freeze([...info.inputShape]) as unknown as ModelInfo<O>['inputShape'], ...(info.published ? { published: Object.freeze({ ...info.published }) } : {}) });
}

const IMAGENET: Pick<ModelInfo<unknown>, 'inputShape' | 'numClasses'> = { inputShape: [3, 224, 224], numClasses: 1000 };
const MNIST: Pick<ModelInfo<unknown>, 'inputShape' | 'numClasses'> = { inputShape: [1, 28, 28], numClasses: 10 };

/**
 * Every model by name.
 *
 * @example
 * ```ts
 * for (const [name, info] of Object.entries(modelZoo)) console.log(name, info.published?.parameters);
 * ```
 */
export const modelZoo = Object.freeze({
  mobilenetV1: entry<MobileNetV1Options>({
    build: mobilenetV1, ...IMAGENET,
    description: 'MobileNetV1 1.0 (depthwise separable convolutions, ReLU)',
    published: { parameters: 4_231_976, macs: 569e6, source: 'Howard et al. 2017, Table 8 (4.2 M, 569 M mult-adds); exact count: Keras MobileNet trainable parameters' },
  }),
  mobilenetV2: entry<MobileNetV2Options>({
    build: mobilenetV2, ...IMAGENET,
    description: 'MobileNetV2 1.0 (inverted residuals, linear bottlenecks, ReLU6)',
    published: { parameters: 3_504_872, macs: 300e6, source: 'torchvision mobilenet_v2 (3,504,872 params); Sandler et al. 2018, Table 4 (300 M MAdds)' },
  }),
  mobilenetV2Mini: entry<MobileNetV2Options>({
    build: mobilenetV2Mini, ...MNIST,
    description: 'MobileNetV2-style model for 28x28 grayscale images (Fashion-MNIST)',
  }),
  mobilenetV3Large: entry<MobileNetV3Options>({
    build: mobilenetV3Large, ...IMAGENET,
    description: 'MobileNetV3-Large 1.0 (hard-swish, SE with hard-sigmoid)',
    published: { parameters: 5_483_032, macs: 219e6, source: 'torchvision mobilenet_v3_large (5,483,032 params, 0.22 GFLOPS); Howard et al. 2019, Table 3 (219 M MAdds)' },
  }),
  mobilenetV3Small: entry<MobileNetV3Options>({
    build: mobilenetV3Small, ...IMAGENET,
    description: 'MobileNetV3-Small 1.0 (hard-swish, SE with hard-sigmoid)',
    published: { parameters: 2_542_856, macs: 56e6, source: 'torchvision mobilenet_v3_small (2,542,856 params, 0.06 GFLOPS); Howard et al. 2019, Table 4 (56 M MAdds)' },
  }),
  shuffleNetV2: entry<ShuffleNetV2Options>({
    build: shuffleNetV2, ...IMAGENET,
    description: 'ShuffleNetV2 1.0x (channel split, channel shuffle)',
    published: { parameters: 2_278_604, macs: 146e6, source: 'torchvision shufflenet_v2_x1_0 (2,278,604 params, 0.14 GFLOPS); Ma et al. 2018, Table 5 (146 M FLOPs, counted as MACs)' },
  }),
  shuffleNetV2x0_5: entry<Omit<ShuffleNetV2Options, 'widthMultiplier'>>({
    build: (opts = {}) => shuffleNetV2({ ...opts, widthMultiplier: 0.5 }), ...IMAGENET,
    description: 'ShuffleNetV2 0.5x',
    published: { parameters: 1_366_792, macs: 41e6, source: 'torchvision shufflenet_v2_x0_5 (1,366,792 params, 0.04 GFLOPS); Ma et al. 2018, Table 5 (41 M FLOPs, counted as MACs)' },
  }),
  squeezeNet1_1: entry<SqueezeNetOptions>({
    build: squeezeNet1_1, ...IMAGENET,
    description: 'SqueezeNet 1.1 (Fire modules, no BatchNormalization)',
    published: { parameters: 1_235_496, macs: 350e6, source: 'torchvision squeezenet1_1 (1,235,496 params, 0.35 GFLOPS)' },
  }),
  efficientNetLite0: entry<EfficientNetLite0Options>({
    build: efficientNetLite0, ...IMAGENET,
    description: 'EfficientNet-Lite0 (MBConv, ReLU6, no SE)',
    published: { parameters: 4_652_008, macs: 407e6, source: 'timm tf_efficientnet_lite0 (4,652,008 params); TensorFlow efficientnet/lite README (4.7 M, 407 M MAdds)' },
  }),
  resNet18: entry<ResNetOptions>({
    build: resNet18, ...IMAGENET,
    description: 'ResNet-18 (BasicBlocks)',
    published: { parameters: 11_689_512, macs: 1.814e9, source: 'torchvision resnet18 (11,689,512 params, 1.81 GFLOPS)' },
  }),
  smallCnn: entry<SmallCnnOptions>({
    build: smallCnn, ...MNIST,
    description: 'Small CNN for 28x28 grayscale images (3 conv-BN-ReLU blocks, GAP, linear)',
  }),
  mlp: entry<MlpOptions>({
    build: mlp, ...MNIST,
    description: 'MLP on flattened 28x28 grayscale images (hidden 256, 128)',
  }),
});

/** Names of the models in {@link modelZoo}. */
export type ModelName = keyof typeof modelZoo;

/** The options a model of {@link modelZoo} takes. */
export type ModelOptionsOf<N extends ModelName> = NonNullable<Parameters<(typeof modelZoo)[N]['build']>[0]>;

/**
 * Every model name, in zoo order.
 *
 * @example
 * ```ts
 * const graphs = MODEL_NAMES.map((name) => buildModel(name, { batch: 1 }));
 * ```
 */
export const MODEL_NAMES: readonly ModelName[] = Object.freeze(Object.keys(modelZoo) as ModelName[]);

/**
 * Builds a model of the zoo by name.
 *
 * @example
 * ```ts
 * const g = buildModel('mobilenetV3Small', { numClasses: 10, resolution: 96, batch: 1 });
 * ```
 */
export function buildModel<N extends ModelName>(name: N, opts?: ModelOptionsOf<N>): Graph {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(modelZoo, name)) {
    throw new ArgumentError(`unknown model '${String(name)}'; expected ${oneOf([...MODEL_NAMES])}`);
  }
  const info = modelZoo[name] as ModelInfo<ModelOptionsOf<N>>;
  return info.build(opts);
}
