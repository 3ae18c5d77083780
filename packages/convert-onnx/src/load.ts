/**
 * Entry points for reading ONNX: bytes anywhere, paths in Node. `node:fs` is imported lazily and
 * only for path input, so bundles for the browser never pull it in.
 */
import { FormatError, MoError, type ErrorContext, type Graph, type Tensor } from '@mo/ir';
import { importModel, type LoadOptions } from './import.js';
import { decodeModel, decodeTensorProto, type ModelProto } from './proto.js';
import { forEachTensor, readModelFile } from './read-file.js';
import { externalRefOf, tensorFromProto, type ExternalDataRef } from './tensor-decode.js';

export type { LoadOptions };

/** Options of `loadOnnx` for path input. */
export interface LoadFileOptions extends LoadOptions {
  /** Upper bound on the external data read for one model, in bytes (default 8 GiB). */
  maxExternalBytes?: number;
}

/**
 * Parses ONNX model bytes into a verified IR graph (synchronous; external data only through
 * `options.externalData`).
 *
 * @throws FormatError for bytes that are not a valid ONNX model (with the byte offset when known),
 *   UnsupportedNodesError (an UnsupportedOpError) listing every node that cannot be converted.
 *
 * @example
 * ```ts
 * import { parseOnnx } from '@mo/convert-onnx';
 * const graph = parseOnnx(new Uint8Array(await (await fetch('model.onnx')).arrayBuffer()));
 * ```
 */
export function parseOnnx(bytes: Uint8Array, options: LoadOptions = {}): Graph {
  const ctx: ErrorContext = options.fileName ? { file: options.fileName } : {};
  return importModel(decodeModel(bytes, ctx), options);
}

/**
 * Loads an ONNX model from bytes or (in Node) from a file path. With a path, tensors stored as
 * external data are read from files next to the model (paths may not leave the model's folder).
 *
 * @example
 * ```ts
 * import { loadOnnx } from '@mo/convert-onnx';
 * const graph = await loadOnnx('model.onnx');
 * console.log(graph.summary());
 * ```
 */
export async function loadOnnx(source: Uint8Array | string, options: LoadFileOptions = {}): Promise<Graph> {
  if (typeof source !== 'string') return parseOnnx(source, options);
  const fsSync = await nodeBuiltin<typeof import('node:fs')>('node:fs');
  const { Buffer } = await nodeBuiltin<typeof import('node:buffer')>('node:buffer');
  const fileName = options.fileName ?? source;
  const ctx: ErrorContext = { file: fileName };
  const { model } = readModelFile(fsSync, Buffer, source, ctx);
  const refs = collectExternal(model, ctx);
  if (!refs.length || options.externalData) return importModel(model, { ...options, fileName }, ownsAll);

  const fs = await nodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await nodeBuiltin<typeof import('node:path')>('node:path');
  const baseDir = await fs.realpath(path.dirname(path.resolve(source)));
  const limit = options.maxExternalBytes ?? 8 * 2 ** 30;
  const chunks = new Map<string, Uint8Array>();
  let total = 0;
  for (const ref of refs) {
    const key = refKey(ref);
    if (chunks.has(key)) continue;
    const { location } = ref;
    if (!location || location.includes('\0') || path.isAbsolute(location) || /^[a-zA-Z]:/.test(location)) {
      throw new FormatError(`external data location '${location}' of '${ref.tensor}' must be a relative path`, ctx);
    }
    let full: string;
    try {
      full = await fs.realpath(path.resolve(baseDir, location));
    } catch {
      throw new FormatError(`external data file '${location}' of '${ref.tensor}' does not exist`, ctx);
    }
    const rel = path.relative(baseDir, full);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new FormatError(`external data location '${location}' leaves the model's folder`, ctx);
    const length = ref.length ?? ref.expected;
    if (length !== ref.expected) throw new FormatError(`external data of '${ref.tensor}' has length ${length}, expected ${ref.expected}`, ctx);
    total += length;
    if (total > limit) throw new FormatError(`external data exceeds the limit of ${limit} bytes`, ctx);
    const fh = await fs.open(full, 'r');
    try {
      const { size } = await fh.stat();
      if (ref.offset + length > size) throw new FormatError(`external data of '${ref.tensor}' (offset ${ref.offset}, ${length} bytes) lies beyond the end of '${location}' (${size} bytes)`, { ...ctx, offset: ref.offset });
      const out = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await fh.read(out, read, length - read, ref.offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      if (read !== length) throw new FormatError(`could read only ${read} of ${length} bytes of external data for '${ref.tensor}'`, ctx);
      chunks.set(key, out);
    } finally {
      await fh.close();
    }
  }
  return importModel(model, {
    ...options,
    fileName,
    externalData: (ref) => {
      const c = chunks.get(refKey(ref));
      if (!c) throw new FormatError(`external data of '${ref.tensor}' was not read`, ctx);
      return c;
    },
  }, ownsAll);
}

/**
 * A Node builtin, imported on first use. The specifier is a variable so that bundlers targeting
 * the browser neither resolve nor include it: only path input ever reaches this.
 */
async function nodeBuiltin<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as T;
}

/** Every raw_data of a model read from a path lies in a buffer of its own (read-file.ts). */
const ownsAll = () => true;

const refKey = (r: ExternalDataRef) => `${r.location}\u0000${r.offset}\u0000${r.length ?? ''}\u0000${r.expected}`;

/** Every tensor with external data in the model (initializers, tensor attributes, subgraphs). */
function collectExternal(model: ModelProto, ctx: ErrorContext): ExternalDataRef[] {
  const out: ExternalDataRef[] = [];
  forEachTensor(model, (tp) => {
    if (tp.dataLocation !== 1) return;
    try {
      out.push(externalRefOf(tp, ctx));
    } catch (e) {
      if (!(e instanceof MoError)) throw e; // reported again, with context, by the importer
    }
  });
  return out;
}

/**
 * Decodes a serialized TensorProto (the input_K.pb / output_K.pb files of the ONNX test suites).
 *
 * @example
 * ```ts
 * const t = parseOnnxTensor(readFileSync('test_data_set_0/input_0.pb'));
 * ```
 */
export function parseOnnxTensor(bytes: Uint8Array, options: { fileName?: string } = {}): Tensor {
  const ctx: ErrorContext = options.fileName ? { file: options.fileName } : {};
  return tensorFromProto(decodeTensorProto(bytes, ctx), { ctx });
}
