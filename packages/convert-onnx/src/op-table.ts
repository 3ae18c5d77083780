/**
 * The ONNX op table: for every ONNX op the converter knows, the oldest opset it reads, the IR
 * op(s) it becomes, and the version steps between ONNX's forms of the op (attributes that became
 * inputs, changed semantics). The importer walks the steps up to the newest form (which is the IR
 * form), the exporter walks them down to the opset it writes. docs/onnx-ops.md is generated from
 * this table (tools/gen-onnx-ops.mjs).
 *
 * To add an op: add one `rule(...)` line here (plus a step in op-steps.ts or a lowering in
 * lowerings.ts when it needs one), then regenerate the docs.
 */
import {
  added,
  addedAttr,
  attrToInput,
  dropAttr,
  dropped,
  legacyBroadcast,
  negativeAxes,
  rule,
  setAttr,
  type OpRule,
  type VersionStep,
  type WorkNode,
} from './rules.js';
import { reject } from './errors.js';
import {
  batchNormSpatial,
  clipBoundsToInputs,
  concatAxisDefault,
  dropoutMaskType,
  dropoutRatio,
  gemmOptionalC,
  groupNormPerChannel,
  lpPoolIntP,
  maxPoolIndices,
  padAttrsToInputs,
  padAxes,
  padPaddings,
  poolCeilDilations,
  preluChannelSlope,
  quantAxis,
  quantV21,
  reduceAxes,
  resizeOptionalInputs,
  resizeV11,
  resizeV18,
  resizeV19,
  scatterReduction,
  shapeStartEnd,
  sliceAttrsToInputs,
  softmaxCoercion,
  splitNumOutputs,
  trainingOutputs,
} from './op-steps.js';
import {
  cosineWindow,
  lowerCompress,
  lowerConstant,
  lowerMaxUnpool,
  lowerIf,
  lowerNegativeLogLikelihoodLoss,
  lowerScatter,
  lowerShrink,
  lowerSoftmaxCrossEntropyLoss,
  lowerUpsample,
} from './lowerings.js';
import { lowerRecurrent } from './lower-rnn.js';
import { lowerDft, lowerStft } from './lower-fourier.js';

const consumed = dropped(6, ['consumed_inputs'], 'legacy attribute consumed_inputs removed');
const bcast = legacyBroadcast(7);

/** Ops whose only change since `since` was the dtypes they accept. */
const plain = (op: string, since: number, notes?: string): OpRule => rule(op, { since, ...(notes ? { notes } : {}) });
/** Elementwise ops that carried `consumed_inputs` in opset 1. */
const legacyUnary = (op: string): OpRule => rule(op, { since: 1, steps: [consumed] });
const legacyBinary = (op: string, extra: VersionStep[] = []): OpRule => rule(op, { since: 1, steps: [consumed, bcast, ...extra] });

const MS = 'com.microsoft';

/** ORT's contrib pools say channels_last where the IR says layout. */
const channelsLast = {
  up: (n: WorkNode) => {
    const cl = n.attrs.channels_last;
    dropAttr(n, 'channels_last');
    if (cl) setAttr(n, 'layout', 'NHWC', 'string');
  },
  down: (n: WorkNode) => {
    const layout = n.attrs.layout;
    dropAttr(n, 'layout');
    if (layout === 'NHWC') setAttr(n, 'channels_last', 1, 'int');
  },
};

/**
 * Every ONNX op the converter knows (see the file comment).
 *
 * @example
 * ```ts
 * for (const r of OP_TABLE) console.log(r.domain || 'ai.onnx', r.op, r.since, r.ir.join('+'));
 * ```
 */
export const OP_TABLE: readonly OpRule[] = [
  // ---------------------------------------------------------------- elementwise: unary
  ...['Abs', 'Neg', 'Reciprocal', 'Floor', 'Ceil', 'Sqrt', 'Exp', 'Log', 'Relu', 'Sigmoid', 'Tanh', 'Elu', 'LeakyRelu', 'Selu', 'HardSigmoid'].map(legacyUnary),
  plain('Softplus', 1),
  plain('Softsign', 1),
  plain('Not', 1),
  ...['Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan'].map((op) => plain(op, 7)),
  ...['Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Erf', 'Sign', 'IsNaN'].map((op) => plain(op, 9)),
  plain('IsInf', 10),
  plain('ThresholdedRelu', 10),
  plain('Round', 11),
  plain('Celu', 12),
  plain('HardSwish', 14),
  plain('Mish', 18),
  plain('BitwiseNot', 18),
  plain('Gelu', 20, 'written as Erf/Tanh arithmetic below opset 20'),
  rule('Gelu', { domain: MS, since: 1, notes: 'ONNX Runtime contrib Gelu (exact, erf form)' }),
  rule('Clip', { since: 1, steps: [consumed, clipBoundsToInputs] }),
  rule('Cast', { since: 1, dtypeAttrs: ['to'], steps: [added(6, "attribute 'to' became a data type code (was a type name)"), addedAttr(19, 'saturate', 1, 'attribute saturate added (float8 only)')] }),
  rule('CastLike', { since: 15, steps: [addedAttr(19, 'saturate', 1, 'attribute saturate added (float8 only)')] }),

  // ---------------------------------------------------------------- elementwise: binary and variadic
  ...['Add', 'Sub', 'Mul', 'Div'].map((op) => legacyBinary(op)),
  rule('Pow', { since: 1, steps: [bcast] }),
  ...['And', 'Or', 'Xor', 'Equal', 'Greater', 'Less'].map((op) => rule(op, { since: 1, steps: [bcast] })),
  plain('GreaterOrEqual', 12),
  plain('LessOrEqual', 12),
  plain('Mod', 10),
  plain('BitShift', 11),
  ...['BitwiseAnd', 'BitwiseOr', 'BitwiseXor'].map((op) => plain(op, 18)),
  rule('PRelu', { since: 1, steps: [consumed, preluChannelSlope] }),
  ...['Max', 'Min', 'Sum', 'Mean'].map((op) => rule(op, { since: 1, steps: [consumed, added(8, 'numpy-style broadcasting')] })),
  plain('Where', 9),
  rule('Shrink', { since: 9, ir: ['Less', 'Greater', 'Add', 'Sub', 'Where'], lower: lowerShrink, notes: 'lowered to Less/Greater/Add/Sub/Where' }),

  // ---------------------------------------------------------------- conv, matmul, pools
  plain('Conv', 1),
  plain('ConvTranspose', 1),
  rule('Gemm', { since: 1, steps: [dropped(7, ['broadcast'], 'attribute broadcast removed (unidirectional broadcasting of C)'), gemmOptionalC] }),
  plain('MatMul', 1),
  rule('MaxPool', { since: 1, steps: [maxPoolIndices, poolCeilDilations(10, ['ceil_mode', 'dilations'])] }),
  rule('AveragePool', {
    since: 1,
    steps: [
      addedAttr(7, 'count_include_pad', 0),
      poolCeilDilations(10, ['ceil_mode']),
      poolCeilDilations(19, ['dilations']),
    ],
  }),
  rule('LpPool', { since: 1, steps: [lpPoolIntP, poolCeilDilations(18, ['ceil_mode', 'dilations'])] }),
  plain('GlobalAveragePool', 1),
  plain('GlobalMaxPool', 1),
  rule('GlobalLpPool', { since: 1, steps: [lpPoolIntP] }),

  // ---------------------------------------------------------------- normalization
  rule('BatchNormalization', {
    since: 1,
    steps: [
      consumed,
      dropped(7, ['is_test'], 'attribute is_test removed'),
      batchNormSpatial,
      trainingOutputs(14, 'training outputs redefined (running mean/var only in training mode); attribute training_mode added'),
      addedAttr(14, 'training_mode', 0),
    ],
  }),
  rule('InstanceNormalization', { since: 1, steps: [consumed] }),
  plain('LRN', 1),
  plain('LpNormalization', 1),
  plain('MeanVarianceNormalization', 9),
  plain('LayerNormalization', 17),
  rule('GroupNormalization', { since: 18, steps: [groupNormPerChannel] }),
  ...['Softmax', 'LogSoftmax', 'Hardmax'].map((op) => rule(op, { since: 1, steps: [negativeAxes(11, 'axis'), softmaxCoercion] })),

  // ---------------------------------------------------------------- movement
  rule('Reshape', { since: 1, steps: [consumed, attrToInput(5, 'shape', 1), addedAttr(14, 'allowzero', 0)] }),
  rule('Flatten', { since: 1, steps: [negativeAxes(11, 'axis')] }),
  rule('Squeeze', { since: 1, steps: [negativeAxes(11, 'axes'), attrToInput(13, 'axes', 1)] }),
  rule('Unsqueeze', { since: 1, steps: [negativeAxes(11, 'axes', (n) => (n.attrs.axes as number[]).length), attrToInput(13, 'axes', 1)] }),
  rule('Concat', { since: 1, steps: [concatAxisDefault, negativeAxes(11, 'axis')] }),
  rule('Split', { since: 1, steps: [negativeAxes(11, 'axis'), attrToInput(13, 'split', 1), splitNumOutputs], notes: 'opset 1 split given as input 1 is kept as input' }),
  rule('Slice', { since: 1, steps: [sliceAttrsToInputs, negativeAxes(11, 'axes')] }),
  rule('Pad', { since: 1, steps: [padPaddings, padAttrsToInputs, padAxes, added(19, "mode 'wrap' added", (n) => n.attrs.mode === 'wrap' && reject("Pad mode 'wrap' needs opset >= 19"))] }),
  plain('Transpose', 1),
  plain('Identity', 1),
  plain('Tile', 6, 'Tile-1 (tiles and axis inputs) is not supported'),
  plain('Expand', 8),
  rule('DepthToSpace', { since: 1, steps: [addedAttr(11, 'mode', 'DCR')] }),
  plain('SpaceToDepth', 1),
  rule('Dropout', { since: 1, steps: [consumed, dropped(7, ['is_test'], 'attribute is_test removed'), dropoutMaskType, dropoutRatio] }),
  plain('Trilu', 14),
  plain('ReverseSequence', 10),
  rule('Upsample', { since: 1, ir: ['Resize'], lower: lowerUpsample, notes: "lowered to Resize ('asymmetric' coordinates, 'floor' nearest rounding)" }),

  // ---------------------------------------------------------------- indexing
  plain('Gather', 1),
  plain('GatherElements', 11),
  rule('GatherND', { since: 11, steps: [addedAttr(12, 'batch_dims', 0)] }),
  rule('ScatterElements', { since: 11, steps: scatterReduction() }),
  rule('ScatterND', { since: 11, steps: scatterReduction() }),
  rule('Scatter', { since: 9, ir: ['ScatterElements'], lower: lowerScatter, notes: 'lowered to ScatterElements' }),
  plain('OneHot', 9),
  plain('NonZero', 9),
  rule('Compress', { since: 9, ir: ['NonZero', 'Squeeze', 'Reshape', 'Gather'], lower: lowerCompress, notes: 'lowered to Gather of NonZero(condition) (the IR op Compress when the IR has one)' }),
  rule('MaxUnpool', { since: 9, ir: ['ConstantOfShape', 'Reshape', 'ScatterElements', 'Sub', 'Concat', 'Pad'], lower: lowerMaxUnpool, notes: 'lowered to ScatterElements of X into zeros at the flat indices I (padded to output_shape); needs static input dims' }),
  rule('TopK', { since: 1, steps: [attrToInput(10, 'k', 1, { attrType: 'int' }), addedAttr(11, 'largest', 1), addedAttr(11, 'sorted', 1)] }),
  rule('ArgMax', { since: 1, steps: [negativeAxes(11, 'axis'), addedAttr(12, 'select_last_index', 0)] }),
  rule('ArgMin', { since: 1, steps: [negativeAxes(11, 'axis'), addedAttr(12, 'select_last_index', 0)] }),
  plain('CumSum', 11),

  // ---------------------------------------------------------------- reductions
  rule('ReduceSum', { since: 1, steps: [negativeAxes(11, 'axes'), ...reduceAxes(13)] }),
  ...['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'].map((op) =>
    rule(op, { since: 1, steps: [negativeAxes(11, 'axes'), ...reduceAxes(18)] }),
  ),

  // ---------------------------------------------------------------- shapes and constants
  rule('Shape', { since: 1, steps: [shapeStartEnd] }),
  plain('Size', 1),
  rule('Constant', { since: 1, ir: [], lower: lowerConstant, notes: 'becomes an initializer (value, value_float(s), value_int(s); strings and sparse values are not supported)' }),
  plain('ConstantOfShape', 9),
  plain('Range', 11),
  rule('EyeLike', { since: 9, dtypeAttrs: ['dtype'] }),
  rule('If', { since: 1, ir: ['Identity', 'Where'], lower: lowerIf, notes: 'condition known at load time: the taken branch is inlined; otherwise both branches are inlined and selected with Where (needs equal static output types)' }),

  // ---------------------------------------------------------------- losses and windows
  rule('NegativeLogLikelihoodLoss', {
    since: 12,
    ir: ['Equal', 'Where', 'Unsqueeze', 'GatherElements', 'Squeeze', 'Neg', 'Gather', 'Mul', 'ReduceSum', 'ReduceMean', 'Div', 'Identity'],
    lower: lowerNegativeLogLikelihoodLoss,
    notes: 'lowered to GatherElements of the target class, weights, masking of ignore_index and the reduction',
  }),
  rule('SoftmaxCrossEntropyLoss', {
    since: 12,
    ir: ['LogSoftmax', 'Equal', 'Where', 'Unsqueeze', 'GatherElements', 'Squeeze', 'Neg', 'Gather', 'Mul', 'ReduceSum', 'ReduceMean', 'Div', 'Identity'],
    lower: lowerSoftmaxCrossEntropyLoss,
    notes: 'lowered to LogSoftmax over the class axis plus the NegativeLogLikelihoodLoss lowering',
  }),
  ...([['HannWindow', [0.5, 0.5, 0]], ['HammingWindow', [25 / 46, 21 / 46, 0]], ['BlackmanWindow', [0.42, 0.5, 0.08]]] as const).map(([op, a]) =>
    rule(op, { since: 17, ir: ['Cast', 'Sub', 'Range', 'Div', 'Mul', 'Cos', 'Add', 'Identity'], lower: cosineWindow(a), notes: 'lowered to Range/Cos arithmetic' }),
  ),
  plain('Einsum', 12),
  rule('DFT', {
    since: 17,
    ir: ['Gather', 'Transpose', 'Range', 'Unsqueeze', 'Mul', 'Mod', 'Cast', 'Div', 'Add', 'Cos', 'Sin', 'MatMul', 'Neg', 'Sub', 'Concat', 'Shape'],
    lower: lowerDft,
    notes: 'lowered to MatMul with cos/sin matrices built by Range (folded when the length is static); dft_length must equal the signal length',
  }),
  rule('STFT', {
    since: 17,
    ir: ['Gather', 'Shape', 'Reshape', 'Cast', 'Range', 'Unsqueeze', 'Mul', 'Mod', 'Div', 'Add', 'Sub', 'Cos', 'Sin', 'MatMul', 'Neg', 'Concat'],
    lower: lowerStft,
    notes: 'lowered to a Gather of frames, the window product and the DFT lowering',
  }),

  // ---------------------------------------------------------------- recurrent (unrolled)
  ...(['RNN', 'GRU', 'LSTM'] as const).map((op) =>
    rule(op, {
      since: 7,
      ir: ['Transpose', 'Gather', 'MatMul', 'Add', 'Slice', 'Split', 'Mul', 'Sub', 'Concat', 'Unsqueeze', 'Identity', 'Sigmoid', 'Tanh', 'Less', 'Where'],
      lower: lowerRecurrent(op),
      notes: 'unrolled over the static sequence length into MatMul/Add/Split/activation nodes; sequence_lens masks steps past each length (Less/Where); LSTM input_forget is not supported',
    }),
  ),

  // ---------------------------------------------------------------- resize
  rule('Resize', { since: 10, steps: [resizeV11, resizeOptionalInputs, resizeV18, resizeV19] }),

  // ---------------------------------------------------------------- quantization
  rule('QuantizeLinear', { since: 10, dtypeAttrs: ['output_dtype'], steps: [quantAxis, addedAttr(19, 'saturate', 1, 'attribute saturate added (float8 only)'), quantV21('output')] }),
  rule('DequantizeLinear', { since: 10, dtypeAttrs: ['output_dtype'], steps: [quantAxis, quantV21('input')] }),
  plain('DynamicQuantizeLinear', 11),
  plain('QLinearConv', 10),
  plain('QLinearMatMul', 10),
  plain('MatMulInteger', 10),
  plain('ConvInteger', 10),
  rule('QLinearAdd', { domain: MS, since: 1, notes: 'ONNX Runtime contrib op' }),
  rule('QLinearMul', { domain: MS, since: 1, notes: 'ONNX Runtime contrib op' }),
  rule('QLinearSigmoid', { domain: MS, since: 1, notes: 'ONNX Runtime contrib op' }),
  rule('QLinearLeakyRelu', { domain: MS, since: 1, notes: 'ONNX Runtime contrib op' }),
  rule('QLinearAveragePool', { domain: MS, since: 1, fixup: channelsLast, notes: 'ONNX Runtime contrib op; channels_last <-> layout NHWC' }),
  rule('QLinearGlobalAveragePool', { domain: MS, since: 1, fixup: channelsLast, notes: 'ONNX Runtime contrib op; channels_last <-> layout NHWC' }),
  rule('QGemm', { domain: MS, since: 1, notes: 'ONNX Runtime contrib op' }),
];
