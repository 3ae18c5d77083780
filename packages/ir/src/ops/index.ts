/**
 * The op table: every op the IR knows, registered once. To add an op, add its `defineOp` entry to
 * the family file it belongs to (see CONTRIBUTING.md). Helpers the families share live in small
 * modules named for what they do: context.ts (reading inputs in infer and run), axes.ts, lanes.ts,
 * dims.ts, output-types.ts, broadcast.ts, elements.ts (bit-exact element copies), integers.ts,
 * rounding.ts and input-types.ts; errors go through ctx.fail / failAttr / failDType.
 */
import { registerOps } from './schema.js';
import { elementwiseOps } from './elementwise.js';
import { softmaxOps } from './softmax.js';
import { convOps } from './conv.js';
import { poolOps } from './pool.js';
import { matmulOps } from './matmul.js';
import { normalizationOps } from './normalization.js';
import { movementOps } from './movement.js';
import { shapeOps } from './shape.js';
import { indexingOps } from './indexing.js';
import { resizeOps } from './resize.js';
import { reduceOps } from './reduce.js';
import { quantOps } from './quant.js';

registerOps([
  ...elementwiseOps,
  ...softmaxOps,
  ...convOps,
  ...poolOps,
  ...matmulOps,
  ...normalizationOps,
  ...movementOps,
  ...shapeOps,
  ...indexingOps,
  ...resizeOps,
  ...reduceOps,
  ...quantOps,
]);

export * from './schema.js';
export { FUSED_ACTIVATIONS, FUSED_ACTIVATION_ATTRS, fusedActivationFn, type FusedActivation } from './fused-activation.js';
