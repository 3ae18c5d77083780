/**
 * @mo/convert-tflite: TFLite (LiteRT) models in and out of mo's IR.
 *
 * @example
 * ```ts
 * import { toTflite, fromTflite } from '@mo/convert-tflite';
 * import { mobilenetV2 } from '@mo/models';
 * const bytes = toTflite(mobilenetV2({ resolution: 96, batch: 1 }));
 * const graph = fromTflite(bytes);
 * ```
 */
export { toTflite, exportTflite, WEIGHT_TYPES, IO_TYPES, type ToTfliteOptions, type TfliteExport, type WeightType, type IoType } from './export/export.js';
export { prepareGraph, bindDims, type PrepareOptions } from './export/prepare.js';
export { EXPORT_TABLE, exportRule, type ExportRule } from './op-table.js';
export { UnsupportedNodesError, type UnsupportedNode } from './errors.js';
export { BUILTINS, builtinVersion, runtimeVersion, type VersionFacts } from './builtins.js';
export { BuiltinOperator, TensorType, builtinName, irDType, tfliteType } from './codes.js';
export { fromTflite, type FromTfliteOptions } from './import/read.js';
export { IMPORT_TABLE, importRule, type ImportRule } from './op-table.js';
export { tfliteOpsMarkdown } from './docs.js';
