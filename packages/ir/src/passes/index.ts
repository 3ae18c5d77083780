/** Graph passes: the pass machinery, the individual passes and the default pipeline. */
export * from './pass.js';
export { eliminateDeadCode, removeDeadCode } from './dead-code.js';
export { foldConstants, foldConstantsPass, foldConstantNodes, isNondeterministic, isInferenceDropout, type FoldConstantsOptions } from './fold-constants.js';
export { removeIdentity } from './remove-identity.js';
export { foldBatchNorm, bnToAffine } from './fold-batchnorm.js';
export { fuseActivation, acceptsFusedActivation, fusedForm } from './fuse-activation.js';
export { simplifyShapes } from './simplify-shapes.js';
export { convertLayout, convertGraphLayout, type ConvertLayoutOptions } from './layout.js';
export { cancelTransposes, cancelTransposesIn, type CancelStats } from './cancel-transposes.js';
export { defaultPipeline, optimize, type OptimizeOptions } from './pipelines.js';
