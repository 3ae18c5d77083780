/**
 * @mo/kernels-neon-wasm: mo's fast engine. WebAssembly SIMD128 microkernels (they map 1:1 onto
 * ARM NEON) under three layers: operators (shapes, broadcasting, weight packing, dispatch), config
 * (SIMD / relaxed SIMD / threads detected once) and microkernels (`<dtype>-<op>-<isa>-<tile>`).
 * Sessions plan memory by liveness and fall back to the @mo/ir reference interpreter for ops
 * without a fast kernel.
 *
 * @example
 * ```ts
 * import { GraphBuilder, tensor } from '@mo/ir';
 * import { createSession } from '@mo/kernels-neon-wasm';
 * const b = new GraphBuilder('tiny');
 * const x = b.input('x', 'float32', [1, 4]);
 * b.output(b.relu(x), 'y');
 * const session = await createSession(b.build());
 * const { y } = await session.run({ x: tensor('float32', [[-1, 2, -3, 4]]) });
 * ```
 */
export { createSession, createSessionSync, Session } from './session/session.js';
export type { Backend, SessionFeeds, SessionOptions, SessionRunOptions, SessionStats } from './session/session.js';
export type { FallbackInfo, StepInfo } from './session/planner.js';
export { KernelRegistry } from './session/registry.js';
export type { BindContext, InputUse, KernelPlan, KernelRegistration, Layout, PlanContext } from './session/registry.js';
export { defaultRegistry, createRegistry, DEFAULT_KERNELS } from './kernels/index.js';
export { hardwareConfig } from './config.js';
export type { HardwareConfig } from './config.js';
export { Runtime, createRuntime, createRuntimeSync, compileKernels, compileKernelsSync, kernelsWasmBytes, threadsAvailable } from './runtime/module.js';
export { ThreadPool } from './runtime/threads.js';
export type { Task } from './runtime/threads.js';
export { Heap } from './runtime/heap.js';
export {
  MICROKERNELS,
  F32_GEMM_VARIANTS,
  F32_IGEMM_VARIANTS,
  F32_DWCONV_VARIANTS,
  F32_VBINARY_OPS,
  F32_VUNARY_OPS,
  selectGemmVariant,
  selectDwconvVariant,
  DEFAULT_GEMM_MR,
} from './microkernels/variants.js';
export type { DwconvVariant, GemmVariant, Isa, MicrokernelVariant } from './microkernels/types.js';
export { gemm, bindGemm, packGemmWeights, packedGemmBytes } from './operators/gemm.js';
export type { GemmProblem } from './operators/gemm.js';
export { TrainingOps } from './training/ops.js';
export type { ConvAttrs, ConvGrads, MatMulOptions } from './training/ops.js';
