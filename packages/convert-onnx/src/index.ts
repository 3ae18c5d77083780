/**
 * @mo/convert-onnx: ONNX models in and out of mo's IR.
 *
 * @example
 * ```ts
 * import { loadOnnx, saveOnnx } from '@mo/convert-onnx';
 * const graph = await loadOnnx('model.onnx');
 * const bytes = saveOnnx(graph);
 * ```
 */
export { loadOnnx, parseOnnx, parseOnnxTensor, type LoadOptions, type LoadFileOptions } from './load.js';
export { saveOnnx, exportModel, irVersionFor, DEFAULT_EXPORT_OPSET, MIN_EXPORT_OPSET, MAX_EXPORT_OPSET, type SaveOptions } from './export.js';
export { saveOnnxTensor } from './tensor-encode.js';
export { UnsupportedNodesError, type UnsupportedItem } from './errors.js';
export { OP_TABLE } from './op-table.js';
export { supportedOnnxOps, findImportRule, findExportRule } from './op-index.js';
export type { OpRule, VersionStep, WorkNode, RewriteCx } from './rules.js';
export type { ExternalDataReader, ExternalDataRef } from './tensor-decode.js';
export type { WarningHandler } from './export-lowering.js';
export { ONNX_DTYPE, dtypeFromOnnx, dtypeToOnnx } from './dtypes.js';
