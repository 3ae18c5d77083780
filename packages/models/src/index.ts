/**
 * @mo/models: lightweight architectures as @mo/ir graph builders, with PyTorch-style parameter
 * names, published defaults and seeded initialization.
 *
 * @example
 * ```ts
 * import { buildModel } from '@mo/models';
 * import { graphStats } from '@mo/ir';
 * const g = buildModel('mobilenetV2', { batch: 1 });
 * console.log(graphStats(g).parameters, graphStats(g).macs);
 * ```
 */
export { mobilenetV1 } from './architectures/mobilenet-v1.js';
export { mobilenetV2, mobilenetV2Mini } from './architectures/mobilenet-v2.js';
export { mobilenetV3Large, mobilenetV3Small } from './architectures/mobilenet-v3.js';
export { shuffleNetV2, SHUFFLENET_V2_WIDTHS } from './architectures/shufflenet-v2.js';
export { squeezeNet1_1 } from './architectures/squeezenet.js';
export { efficientNetLite, efficientNetLite0, EFFICIENTNET_LITE_VARIANTS } from './architectures/efficientnet-lite.js';
export { resNet18 } from './architectures/resnet.js';
export { smallCnn } from './architectures/small-cnn.js';
export { mlp } from './architectures/mlp.js';
export { modelZoo, buildModel, MODEL_NAMES } from './zoo.js';
export { countParameters } from './count.js';
export { makeDivisible, BATCH_NORM_INITS } from './options.js';
export { seededRandom, initTensor } from './init.js';

export type { ModelOptions, WidthOptions, WeightSource, BatchNormInit } from './options.js';
export type { MobileNetV1Options } from './architectures/mobilenet-v1.js';
export type { MobileNetV2Options, InvertedResidualStage } from './architectures/mobilenet-v2.js';
export type { MobileNetV3Options } from './architectures/mobilenet-v3.js';
export type { ShuffleNetV2Options, ShuffleNetV2Width } from './architectures/shufflenet-v2.js';
export type { SqueezeNetOptions } from './architectures/squeezenet.js';
export type { EfficientNetLiteOptions, EfficientNetLite0Options, EfficientNetLiteVariant } from './architectures/efficientnet-lite.js';
export type { ResNetOptions } from './architectures/resnet.js';
export type { SmallCnnOptions } from './architectures/small-cnn.js';
export type { MlpOptions } from './architectures/mlp.js';
export type { ModelInfo, ModelName, ModelOptionsOf, PublishedFigures } from './zoo.js';
export type { ParameterCounts } from './count.js';
export type { ParamInit } from './init.js';
