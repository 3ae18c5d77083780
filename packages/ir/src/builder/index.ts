/** The graph builder and its op methods (each file adds a family of methods). */
import './math.js';
import './nn.js';
import './tensor-ops.js';
import './quant.js';

export { GraphBuilder, Value, type BuilderOptions, type OpOptions, type AttrsIn, type ValueLike } from './builder.js';
export type { AutoPad, Layout, ConvAttrs, ConvTransposeAttrs, PoolAttrs, GemmAttrs, FusedActivationAttrs } from './nn.js';
