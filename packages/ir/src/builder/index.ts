/** The graph builder and its op methods (one file per family, mixed in by builder.ts). */

export { GraphBuilder, Value, type BuilderOptions, type OpOptions, type AttrsIn, type ValueLike } from './builder.js';
export type { AutoPad, Layout, ConvAttrs, ConvTransposeAttrs, PoolAttrs, GemmAttrs, FusedActivationAttrs } from './nn.js';
