/**
 * The TFLite op table: for every IR op the exporter writes, the TFLite builtin operators it
 * becomes, whether the integer (int8, from QDQ graphs) form exists, and notes on the mapping
 * (layouts, attributes, what is not supported and why). `docs/tflite-ops.md` is generated from
 * this table and from IMPORT_TABLE (tools/tflite-gen-ops-doc.mjs).
 *
 * The exporter runs on the IR after `optimize` (BatchNormalization folded, activations fused into
 * their producers) and `convertLayout` to NHWC, so rules see NHWC convolutions and pools and
 * static shapes. To add an op: write its lowering in export/rules.ts, add one line here, and
 * regenerate the docs.
 */
import type { BuiltinName } from './codes.js';
import { NodeUnsupported } from './errors.js';
import {
  lowerActivation,
  lowerBinary,
  lowerCast,
  lowerConcat,
  lowerConv,
  lowerDequantize,
  lowerDequantizeLinear,
  lowerGather,
  lowerGemm,
  lowerGlobalPool,
  lowerIdentity,
  lowerMatMul,
  lowerMinMax,
  lowerPad,
  lowerPool,
  lowerQuantizeLinear,
  lowerReduce,
  lowerReshape,
  lowerResize,
  lowerSlice,
  lowerSoftmax,
  lowerSplit,
  lowerTranspose,
  type LowerFn,
} from './export/rules.js';
import {
  readAvgPool,
  readBatchMatMul,
  readBinary,
  readConcat,
  readConv,
  readDepthwise,
  readDequantize,
  readFullyConnected,
  readGather,
  readHardSwish,
  readLeakyRelu,
  readLogistic,
  readMaxPool,
  readMinMax,
  readPad,
  readQuantize,
  readReduce,
  readRelu,
  readRelu0To1,
  readRelu6,
  readReluN1To1,
  readReshape,
  readResize,
  readSoftmax,
  readSplit,
  readSplitV,
  readStridedSlice,
  readTanh,
  readTranspose,
  type ReadFn,
} from './import/rules.js';

/** One IR op's mapping to TFLite. */
export interface ExportRule {
  /** IR op name. */
  readonly ir: string;
  /** Builtin operators the rule may write. */
  readonly tflite: readonly BuiltinName[];
  /**
   * Integer form: 'int8' when the rule writes an int8 operator for a node between
   * DequantizeLinear and QuantizeLinear (QDQ), 'float' when it writes float operators only.
   */
  readonly int8: boolean;
  /** How the mapping works and what it does not cover. */
  readonly notes: string;
  readonly lower: LowerFn;
}

/** QLinear nodes left after the QDQ rewrite: their params are computed, which TFLite cannot store. */
const lowerUnrewritten: LowerFn = (_cx, node) => {
  throw new NodeUnsupported(`${node.op} with computed (non-constant) scales, or a per-row a_scale: TFLite stores quantization params as constants`);
};

const rule = (ir: string, tflite: readonly BuiltinName[], int8: boolean, notes: string, lower: LowerFn): ExportRule => Object.freeze({ ir, tflite: Object.freeze([...tflite]), int8, notes, lower });

const FUSED = 'fused activation: Relu -> RELU, Clip(0,6) -> RELU6, Clip(-1,1) -> RELU_N1_TO_1 in fused_activation_function; other activations become separate operators';

/**
 * Every IR op the exporter writes.
 *
 * @example
 * ```ts
 * for (const r of EXPORT_TABLE) console.log(r.ir, r.tflite.join(' '), r.int8 ? 'int8' : 'float');
 * ```
 */
export const EXPORT_TABLE: readonly ExportRule[] = Object.freeze([
  // convolution and pooling (NHWC after layout conversion)
  rule('Conv', ['CONV_2D', 'DEPTHWISE_CONV_2D', 'PAD'], true, `2-D only. group 1 -> CONV_2D, weights OIHW -> OHWI; group == channels -> DEPTHWISE_CONV_2D, weights -> 1HWO (depth_multiplier = M/C); other groups -> grouped CONV_2D (version 6, TFLite 2.9), weights OHWI with C/group input channels. Pads equal to TFLite SAME or all zero map to SAME/VALID, others to an explicit PAD + VALID. Missing bias written as zeros. int8: weights per-tensor or per-channel (quantized_dimension 0 for CONV_2D, 3 for DEPTHWISE), int32 bias with scale input_scale * weight_scale[c]. ${FUSED}`, lowerConv),
  rule('MaxPool', ['MAX_POOL_2D', 'PADV2'], true, '2-D only, no dilation, no Indices output. SAME/VALID when they match; other pads (and ceil_mode windows) pad explicitly with the lowest float (PADV2).', lowerPool),
  rule('AveragePool', ['AVERAGE_POOL_2D', 'PAD'], true, '2-D only, no dilation. TFLite SAME excludes padding from the divisor (count_include_pad = 0); with count_include_pad = 1 pads become an explicit PAD.', lowerPool),
  rule('GlobalAveragePool', ['MEAN'], true, 'MEAN over the spatial axes with keep_dims.', lowerGlobalPool),
  rule('GlobalMaxPool', ['REDUCE_MAX'], true, 'REDUCE_MAX over the spatial axes with keep_dims.', lowerGlobalPool),
  // matrix products
  rule('Gemm', ['FULLY_CONNECTED', 'BATCH_MATMUL', 'ADD'], true, `Constant B -> FULLY_CONNECTED with weights [out, in] (transB = 0 transposed, alpha folded in), constant vector C -> bias (times beta); a full [M, N] C -> ADD; computed B -> BATCH_MATMUL. transA unsupported. int8: per-tensor or per-channel weights, int32 bias. ${FUSED}`, lowerGemm),
  rule('MatMul', ['FULLY_CONNECTED', 'BATCH_MATMUL'], true, 'Constant 2-D B -> FULLY_CONNECTED (keep_num_dims for inputs of rank > 2, version 5); computed B -> BATCH_MATMUL (float only).', lowerMatMul),
  // elementwise
  rule('Add', ['ADD'], true, `NumPy broadcasting up to rank 6. ${FUSED}`, lowerBinary),
  rule('Sub', ['SUB'], true, 'NumPy broadcasting up to rank 6 (version 3 when broadcasting beyond rank 4).', lowerBinary),
  rule('Mul', ['MUL'], true, 'NumPy broadcasting up to rank 6.', lowerBinary),
  rule('Div', ['DIV'], false, 'NumPy broadcasting up to rank 6; float only (TFLite has no int8 DIV).', lowerBinary),
  rule('Max', ['MAXIMUM'], false, 'Two inputs only.', lowerMinMax),
  rule('Min', ['MINIMUM'], false, 'Two inputs only.', lowerMinMax),
  rule('Relu', ['RELU'], true, '', lowerActivation),
  rule('Clip', ['RELU6', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'RELU', 'MAXIMUM', 'MINIMUM'], true, 'Constant bounds. (0,6) -> RELU6, (-1,1) -> RELU_N1_TO_1, (0,1) -> RELU_0_TO_1, (0,inf) -> RELU, others -> MAXIMUM then MINIMUM (float only).', lowerActivation),
  rule('Sigmoid', ['LOGISTIC'], true, 'int8 output params are fixed at scale 1/256, zero point -128 (requantized with QUANTIZE when the graph asks for others).', lowerActivation),
  rule('Tanh', ['TANH'], true, 'int8 output params are fixed at scale 1/128, zero point 0.', lowerActivation),
  rule('HardSwish', ['HARD_SWISH'], true, '', lowerActivation),
  rule('HardSigmoid', ['ADD', 'MUL'], true, 'relu6(6*alpha*x + 6*beta) / 6: ADD (fused RELU6) + MUL, and a leading MUL unless alpha = 1/6. int8: the ADD output takes params covering [0, 6].', lowerActivation),
  rule('LeakyRelu', ['LEAKY_RELU'], false, '', lowerActivation),
  rule('Softmax', ['SOFTMAX'], true, 'Last axis only (beta 1). int8 output params are fixed at scale 1/256, zero point -128.', lowerSoftmax),
  // movement
  rule('Reshape', ['RESHAPE'], true, 'Shape written as the inferred static output shape (int32 input and new_shape option).', lowerReshape),
  rule('Flatten', ['RESHAPE'], true, 'As Reshape.', lowerReshape),
  rule('Squeeze', ['RESHAPE'], true, 'As Reshape.', lowerReshape),
  rule('Unsqueeze', ['RESHAPE'], true, 'As Reshape.', lowerReshape),
  rule('Identity', ['RESHAPE'], true, 'Elided (the output reuses the input tensor) unless it copies a graph input or constant to a graph output.', lowerIdentity),
  rule('Dropout', ['RESHAPE'], false, 'Inference mode: as Identity (optimize removes it first).', lowerIdentity),
  rule('Transpose', ['TRANSPOSE'], true, 'Up to rank 6 (version 4 for rank 5, 6 for rank 6). Layout Transposes are removed before export where they cancel.', lowerTranspose),
  rule('Concat', ['CONCATENATION', 'QUANTIZE'], true, 'int8: inputs with params other than the output\'s are requantized first (TFLite\'s int8 kernel keeps one scale).', lowerConcat),
  rule('Split', ['SPLIT', 'SPLIT_V'], true, 'Equal parts -> SPLIT, other sizes -> SPLIT_V. int8: outputs must keep the input params.', lowerSplit),
  rule('Slice', ['STRIDED_SLICE'], true, 'Constant starts/ends/axes/steps, clamped as ONNX clamps them; negative steps supported; empty results unsupported.', lowerSlice),
  rule('Gather', ['GATHER'], true, 'Constant indices (negative ones normalized) or computed int32 indices.', lowerGather),
  rule('Pad', ['PAD', 'PADV2'], true, "mode 'constant' only; value 0 -> PAD, other values -> PADV2 (float); negative pads unsupported.", lowerPad),
  rule('ReduceMean', ['MEAN'], true, 'Constant axes; keepdims; noop_with_empty_axes.', lowerReduce),
  rule('ReduceSum', ['SUM'], true, 'Constant axes; keepdims.', lowerReduce),
  rule('ReduceMax', ['REDUCE_MAX'], true, 'Constant axes; keepdims.', lowerReduce),
  rule('Resize', ['RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR'], true, "Spatial dims of rank-4 NHWC tensors, scale = output/input size. linear: half_pixel / pytorch_half_pixel -> half_pixel_centers, align_corners -> align_corners, asymmetric -> neither. nearest: the (align_corners, half_pixel_centers) option pair whose source pixels equal the IR's for these sizes; no pair -> unsupported. cubic unsupported.", lowerResize),
  // quantization
  rule('QuantizeLinear', ['QUANTIZE'], false, 'Per-tensor, int8 or int16 output. Absorbed (no operator) when its input comes from an operator written as int8.', lowerQuantizeLinear),
  rule('DequantizeLinear', ['DEQUANTIZE'], false, 'Absorbed when only int8 operators read it; otherwise DEQUANTIZE (of int8 activations, or of constant int8 weights per tensor or per channel).', lowerDequantizeLinear),
  rule('Dequantize', ['DEQUANTIZE'], false, 'Weight-only quantized constants (int8/int16, per tensor or per axis; lookup tables and blocks unsupported).', lowerDequantize),
  rule('QLinearConv', ['CONV_2D', 'DEPTHWISE_CONV_2D'], true, 'Rewritten into DequantizeLinear -> Conv -> QuantizeLinear (constant scales; int32 bias with scale x_scale * w_scale) and written as an int8 Conv; TFLite requantizes with its fixed-point rule (the IR\'s requant = fixed-point).', lowerUnrewritten),
  rule('QLinearMatMul', ['FULLY_CONNECTED'], true, 'Rewritten into DequantizeLinear -> MatMul -> QuantizeLinear (constant scales; per-tensor a) and written as an int8 FULLY_CONNECTED when b is constant.', lowerUnrewritten),
  rule('Cast', ['DEQUANTIZE'], false, 'Only float16 constant -> float32 (float16 weights); other casts unsupported.', lowerCast),
]);

const BY_IR = new Map(EXPORT_TABLE.map((r) => [r.ir, r]));

/**
 * The export rule of an IR op, or undefined when the op has none.
 *
 * @example
 * ```ts
 * exportRule('Conv')?.tflite; // ['CONV_2D', 'DEPTHWISE_CONV_2D', 'PAD']
 * ```
 */
export function exportRule(op: string): ExportRule | undefined {
  return BY_IR.get(op);
}

// ------------------------------------------------------------------ import

/** One TFLite builtin's mapping to the IR. */
export interface ImportRule {
  readonly builtin: BuiltinName;
  /** IR ops the rule writes (besides DequantizeLinear / QuantizeLinear around integer operators). */
  readonly ir: readonly string[];
  readonly notes: string;
  readonly read: ReadFn;
}

const imp = (builtin: BuiltinName, ir: readonly string[], notes: string, read: ReadFn): ImportRule => Object.freeze({ builtin, ir: Object.freeze([...ir]), notes, read });

/**
 * Every TFLite builtin the reader understands (example: `IMPORT_TABLE.map((r) => r.builtin)`). Integer operators come back as their float op
 * between DequantizeLinear (inputs) and QuantizeLinear (outputs) with the tensors' params.
 */
export const IMPORT_TABLE: readonly ImportRule[] = Object.freeze([
  imp('CONV_2D', ['Conv'], 'NHWC Conv; filter OHWI -> OIHW; SAME -> auto_pad SAME_UPPER; fused activation kept; grouped filters (input channels / filter channels) -> group.', readConv),
  imp('DEPTHWISE_CONV_2D', ['Conv'], 'NHWC Conv with group = channels; filter 1HWO -> OIHW.', readDepthwise),
  imp('FULLY_CONNECTED', ['Gemm', 'Reshape'], 'Gemm (transB = 1); inputs of rank > 2 flattened to [-1, in] (kept with keep_num_dims); shuffled weights unsupported.', readFullyConnected),
  imp('BATCH_MATMUL', ['MatMul', 'Transpose'], 'adj_x / adj_y become Transposes of the last two axes.', readBatchMatMul),
  imp('AVERAGE_POOL_2D', ['AveragePool'], 'NHWC; SAME -> SAME_UPPER with count_include_pad 0 (as TFLite).', readAvgPool),
  imp('MAX_POOL_2D', ['MaxPool'], 'NHWC.', readMaxPool),
  imp('ADD', ['Add'], 'Fused activation as the Add activation attribute.', readBinary('Add')),
  imp('SUB', ['Sub'], 'Fused activation as a separate node.', readBinary('Sub')),
  imp('MUL', ['Mul'], 'Fused activation as a separate node.', readBinary('Mul')),
  imp('DIV', ['Div'], 'Fused activation as a separate node.', readBinary('Div')),
  imp('MAXIMUM', ['Max'], '', readMinMax('Max')),
  imp('MINIMUM', ['Min'], '', readMinMax('Min')),
  imp('RELU', ['Relu'], '', readRelu),
  imp('RELU6', ['Clip'], 'Clip(0, 6).', readRelu6),
  imp('RELU_N1_TO_1', ['Clip'], 'Clip(-1, 1).', readReluN1To1),
  imp('RELU_0_TO_1', ['Clip'], 'Clip(0, 1).', readRelu0To1),
  imp('LOGISTIC', ['Sigmoid'], '', readLogistic),
  imp('TANH', ['Tanh'], '', readTanh),
  imp('HARD_SWISH', ['HardSwish'], '', readHardSwish),
  imp('LEAKY_RELU', ['LeakyRelu'], '', readLeakyRelu),
  imp('SOFTMAX', ['Softmax', 'Mul'], 'Last axis; beta != 1 becomes a Mul first.', readSoftmax),
  imp('RESHAPE', ['Reshape'], 'Target shape from the output tensor.', readReshape),
  imp('TRANSPOSE', ['Transpose'], 'Constant permutation.', readTranspose),
  imp('CONCATENATION', ['Concat'], 'Fused activation as a separate node.', readConcat),
  imp('SPLIT', ['Split'], 'Constant axis; sizes from the output tensors.', readSplit),
  imp('SPLIT_V', ['Split'], 'Constant axis; sizes from the output tensors.', readSplitV),
  imp('STRIDED_SLICE', ['Slice', 'Reshape'], 'Constant begin/end/strides; begin/end masks; shrink_axis_mask via Reshape; ellipsis / new_axis masks and offset unsupported.', readStridedSlice),
  imp('GATHER', ['Gather'], 'batch_dims unsupported.', readGather),
  imp('PAD', ['Pad'], 'Constant paddings.', readPad),
  imp('PADV2', ['Pad'], 'Constant paddings and scalar constant value.', readPad),
  imp('MEAN', ['ReduceMean'], 'Constant axes.', readReduce('ReduceMean')),
  imp('SUM', ['ReduceSum'], 'Constant axes.', readReduce('ReduceSum')),
  imp('REDUCE_MAX', ['ReduceMax'], 'Constant axes.', readReduce('ReduceMax')),
  imp('RESIZE_BILINEAR', ['Resize'], "linear; align_corners -> 'align_corners', half_pixel_centers -> 'half_pixel', else 'asymmetric'.", readResize('linear')),
  imp('RESIZE_NEAREST_NEIGHBOR', ['Resize'], "nearest; align_corners -> 'align_corners' + round_prefer_ceil, half_pixel_centers -> 'tf_half_pixel_for_nn' + floor, else 'asymmetric' + floor.", readResize('nearest')),
  imp('QUANTIZE', ['QuantizeLinear'], 'float -> int8 (an int8 input is dequantized first: requantization).', readQuantize),
  imp('DEQUANTIZE', ['DequantizeLinear', 'Cast'], 'int8 / int16 -> DequantizeLinear (per tensor or per axis); float16 constants -> Cast to float32.', readDequantize),
]);

const BY_BUILTIN = new Map<string, ImportRule>(IMPORT_TABLE.map((r) => [r.builtin, r]));

/**
 * The import rule of a TFLite builtin (by name), or undefined.
 *
 * @example
 * ```ts
 * importRule('DEPTHWISE_CONV_2D')?.ir; // ['Conv']
 * ```
 */
export function importRule(builtin: string): ImportRule | undefined {
  return BY_BUILTIN.get(builtin);
}
