/**
 * The default kernel registry: every fast kernel of the package. To add a kernel, write its
 * registration in a file of this folder and list it here (see the package README).
 */
import { KernelRegistry } from '../session/registry.js';
import { convKernel } from './conv.js';
import { unaryKernels, binaryKernels } from './elementwise.js';
import { gemmKernel, matmulKernel } from './gemm.js';
import { concatKernel, transposeKernel, viewKernels } from './movement.js';
import { batchNormKernel, layerNormKernel, softmaxKernels } from './normalization.js';
import { averagePoolKernel, globalAveragePoolKernel, globalMaxPoolKernel, maxPoolKernel } from './pool.js';
import { reduceKernels } from './reduce.js';
import { qs8Kernels } from './qs8.js';

export const DEFAULT_KERNELS = Object.freeze([
  convKernel,
  gemmKernel,
  matmulKernel,
  maxPoolKernel,
  averagePoolKernel,
  globalAveragePoolKernel,
  globalMaxPoolKernel,
  ...unaryKernels,
  ...binaryKernels,
  ...softmaxKernels,
  ...reduceKernels,
  layerNormKernel,
  batchNormKernel,
  ...viewKernels,
  transposeKernel,
  concatKernel,
  ...qs8Kernels,
]);

let registry: KernelRegistry | undefined;

/**
 * The registry with every kernel of the package (built once).
 *
 * @example
 * ```ts
 * console.log(defaultRegistry().ops()); // ['Abs', 'Add', 'AveragePool', ...]
 * ```
 */
export function defaultRegistry(): KernelRegistry {
  if (!registry) {
    registry = new KernelRegistry();
    for (const k of DEFAULT_KERNELS) registry.register(k);
  }
  return registry;
}

/**
 * A new registry with the default kernels, to extend with more (`registry.register(...)`).
 *
 * @example
 * ```ts
 * const registry = createRegistry();
 * registry.register(myKernel);
 * ```
 */
export function createRegistry(): KernelRegistry {
  const r = new KernelRegistry();
  for (const k of DEFAULT_KERNELS) r.register(k);
  return r;
}
