/**
 * The builtin operators the converter writes: how their version follows from what an operator
 * does (TFLite bumps an op's version when it gains a dtype or an option; a runtime rejects
 * versions newer than it knows), and the oldest TFLite runtime that runs each version (for the
 * `min_runtime_version` metadata). Facts from TFLite's op_version.cc and runtime_version.cc.
 */
import type { BuiltinName } from './codes.js';

/** What decides an operator's version. */
export interface VersionFacts {
  /** Element type of the (first data) input. */
  readonly input: 'float32' | 'float16' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool' | 'other';
  /** Rank of the first input. */
  readonly rank: number;
  /** Per-channel quantized weights or params (DEQUANTIZE, QUANTIZE). */
  readonly perChannel?: boolean;
  /** FULLY_CONNECTED keep_num_dims. */
  readonly keepNumDims?: boolean;
  /** CONV_2D whose filter has fewer input channels than its input (grouped convolution). */
  readonly grouped?: boolean;
  /** DEPTHWISE_CONV_2D with dilation. */
  readonly dilated?: boolean;
  /** RESIZE_* half_pixel_centers / align_corners. */
  readonly halfPixel?: boolean;
  readonly alignCorners?: boolean;
  /** Binary op that broadcasts with a rank above 4. */
  readonly broadcast5d?: boolean;
  /** int8 MUL whose in1_scale * in2_scale / out_scale >= 1. */
  readonly mulRescaleGe1?: boolean;
}

interface BuiltinInfo {
  /** The version an operator with these facts needs. */
  readonly version: (f: VersionFacts) => number;
  /** Oldest runtime per version. */
  readonly runtime: Readonly<Record<number, string>>;
}

const int8 = (f: VersionFacts) => f.input === 'int8';
/** Version 1 for float, 2 for int8: most ops. */
const floatOrInt8 = (f: VersionFacts) => (int8(f) ? 2 : 1);

/**
 * Version rules and oldest runtimes of the builtins the converter writes.
 *
 * @example
 * ```ts
 * Object.keys(BUILTINS).length;
 * ```
 */
export const BUILTINS: Readonly<Partial<Record<BuiltinName, BuiltinInfo>>> = {
  ADD: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  AVERAGE_POOL_2D: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  CONCATENATION: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  CONV_2D: { version: (f) => (f.grouped ? 6 : int8(f) ? 3 : 1), runtime: { 1: '1.5.0', 3: '1.14.0', 6: '2.9.0' } },
  DEPTHWISE_CONV_2D: { version: (f) => (int8(f) ? 3 : f.dilated ? 2 : 1), runtime: { 1: '1.5.0', 2: '1.12.0', 3: '1.14.0' } },
  DEQUANTIZE: { version: (f) => (f.input === 'float16' || f.input === 'int16' ? 3 : int8(f) ? (f.perChannel ? 5 : 2) : 1), runtime: { 1: '1.13.1', 2: '1.14.0', 3: '1.15.0', 5: '2.7.0' } },
  FULLY_CONNECTED: { version: (f) => (f.keepNumDims ? 5 : int8(f) ? 4 : 1), runtime: { 1: '1.5.0', 4: '1.14.0', 5: '2.0.0' } },
  LOGISTIC: { version: floatOrInt8, runtime: { 1: '1.14.0', 2: '1.14.0' } },
  MAX_POOL_2D: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  MUL: { version: (f) => (int8(f) ? (f.mulRescaleGe1 ? 3 : 2) : 1), runtime: { 1: '1.5.0', 2: '1.14.0', 3: '1.15.0' } },
  RELU: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '2.1.0' } },
  RELU_N1_TO_1: { version: () => 1, runtime: { 1: '1.5.0' } },
  RELU6: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  RELU_0_TO_1: { version: () => 1, runtime: { 1: '2.10.0' } },
  RESHAPE: { version: () => 1, runtime: { 1: '1.5.0' } },
  RESIZE_BILINEAR: { version: (f) => (f.halfPixel ? 3 : int8(f) ? 2 : 1), runtime: { 1: '1.7.0', 2: '1.14.0', 3: '2.2.0' } },
  RESIZE_NEAREST_NEIGHBOR: { version: (f) => (f.halfPixel || f.alignCorners ? 3 : int8(f) ? 2 : 1), runtime: { 1: '1.13.1', 2: '1.14.0', 3: '2.3.0' } },
  SOFTMAX: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  TANH: { version: floatOrInt8, runtime: { 1: '1.14.0', 2: '1.14.0' } },
  PAD: { version: (f) => (f.rank > 4 ? 4 : floatOrInt8(f)), runtime: { 1: '1.5.0', 2: '1.14.0', 4: '2.6.0' } },
  PADV2: { version: (f) => (f.rank > 4 ? 4 : floatOrInt8(f)), runtime: { 1: '1.9.0', 2: '1.14.0', 4: '2.6.0' } },
  GATHER: { version: floatOrInt8, runtime: { 1: '1.6.0', 2: '1.14.0' } },
  TRANSPOSE: { version: (f) => (f.rank > 5 ? 6 : f.rank > 4 ? 4 : floatOrInt8(f)), runtime: { 1: '1.6.0', 2: '1.14.0', 4: '2.3.0', 6: '2.12.0' } },
  MEAN: { version: floatOrInt8, runtime: { 1: '1.6.0', 2: '1.14.0' } },
  SUB: { version: (f) => (f.broadcast5d ? 3 : floatOrInt8(f)), runtime: { 1: '1.6.0', 2: '1.14.0', 3: '2.3.0' } },
  DIV: { version: (f) => (f.broadcast5d ? 2 : 1), runtime: { 1: '1.6.0', 2: '2.3.0' } },
  STRIDED_SLICE: { version: (f) => (f.rank > 4 ? 4 : floatOrInt8(f)), runtime: { 1: '1.6.0', 2: '1.14.0', 4: '2.2.0' } },
  SPLIT: { version: floatOrInt8, runtime: { 1: '1.5.0', 2: '1.14.0' } },
  SPLIT_V: { version: floatOrInt8, runtime: { 1: '1.13.1', 2: '2.3.0' } },
  MAXIMUM: { version: (f) => (f.broadcast5d ? 3 : floatOrInt8(f)), runtime: { 1: '1.14.0', 2: '1.14.0', 3: '2.3.0' } },
  MINIMUM: { version: (f) => (f.broadcast5d ? 3 : floatOrInt8(f)), runtime: { 1: '1.14.0', 2: '1.14.0', 3: '2.3.0' } },
  SUM: { version: floatOrInt8, runtime: { 1: '1.10.0', 2: '1.15.0' } },
  REDUCE_MAX: { version: floatOrInt8, runtime: { 1: '1.11.0', 2: '1.14.0' } },
  LEAKY_RELU: { version: () => 1, runtime: { 1: '1.13.1' } },
  QUANTIZE: { version: (f) => (f.perChannel ? 3 : 1), runtime: { 1: '1.14.0', 3: '2.7.0' } },
  HARD_SWISH: { version: () => 1, runtime: { 1: '1.15.0' } },
  BATCH_MATMUL: { version: floatOrInt8, runtime: { 1: '2.3.0', 2: '2.3.0' } },
};

/**
 * The version of `op` for an operator with these facts.
 *
 * @example
 * ```ts
 * builtinVersion('CONV_2D', { input: 'int8', rank: 4 }); // 3
 * ```
 */
export function builtinVersion(op: BuiltinName, facts: VersionFacts): number {
  const info = BUILTINS[op];
  if (!info) throw new Error(`no version rules for builtin ${op}`);
  return info.version(facts);
}

/**
 * Oldest runtime that runs `op` at `version` (undefined when unknown).
 *
 * @example
 * ```ts
 * runtimeVersion('FULLY_CONNECTED', 4); // '1.14.0'
 * ```
 */
export function runtimeVersion(op: BuiltinName, version: number): string | undefined {
  return BUILTINS[op]?.runtime[version];
}

/** True when runtime version string a is older than b ("1.14.0" < "2.3.0"). */
export function olderRuntime(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
