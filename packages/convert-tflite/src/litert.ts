/**
 * @mo/convert-tflite/litert (Node only): runs .tflite files in LiteRT.js (`@litertjs/core`, the
 * current TFLite kernels + XNNPACK compiled to wasm, an optional peer dependency) to check what
 * `toTflite` wrote. LiteRT.js is made for browsers; outside one it needs a small shim: `self`, an
 * `importScripts` that runs its Emscripten loader with `vm.runInThisContext`, and `Module.print`
 * / `printErr` capturing its log. Any logged ERROR line fails a run: for some invalid models
 * `run()` still returns (zeros).
 *
 * @example
 * ```ts
 * import { toTflite } from '@mo/convert-tflite';
 * import { runTflite } from '@mo/convert-tflite/litert';
 * const { outputs } = await runTflite(toTflite(graph), [{ data: new Float32Array(784), shape: [1, 28, 28, 1] }]);
 * console.log(outputs[0].data);
 * ```
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { MoError } from '@mo/ir';

/** Element arrays LiteRT.js accepts and returns (its tensors are float32, int32 or uint8). */
export type LiteRtArray = Float32Array | Int32Array | Uint8Array;

/** One input or output of a LiteRT.js run. */
export interface LiteRtTensor {
  readonly data: LiteRtArray;
  readonly shape: readonly number[];
}

/** An output with the dtype LiteRT.js reported. */
export interface LiteRtOutput extends LiteRtTensor {
  readonly dtype: string;
}

/** What a run returns: the outputs in the model's order and the runtime's log lines of the run. */
export interface LiteRtRun {
  readonly outputs: readonly LiteRtOutput[];
  readonly log: readonly string[];
}

/** A model compiled once and run many times (benchmarks, evaluation loops). */
export interface LiteRtModel {
  /** Input names, dtypes and shapes as LiteRT.js sees them. */
  readonly inputs: readonly { name: string; dtype: string; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; dtype: string; shape: readonly number[] }[];
  /** Runs once; throws `LiteRtError` when the runtime logged an ERROR line. */
  run(inputs: readonly LiteRtTensor[]): Promise<LiteRtRun>;
  /** Frees the compiled model (wasm memory). */
  delete(): void;
}

/** The runtime refused or failed a model (its log lines are in `log`). */
export class LiteRtError extends MoError {
  constructor(
    message: string,
    readonly log: readonly string[],
  ) {
    super(message);
    this.name = 'LiteRtError';
  }
}

type LiteRt = typeof import('@litertjs/core');

const log: string[] = [];
let loading: Promise<LiteRt> | undefined;

/** Module resolution from this file, in the ESM and the CJS build alike. */
function localRequire(): NodeRequire {
  return createRequire(typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url));
}

/**
 * Loads LiteRT.js once per process (its wasm CPU build, one thread).
 *
 * @example
 * ```ts
 * await loadLiteRt(); // throws MoError when @litertjs/core is not installed
 * ```
 */
export function loadLiteRt(): Promise<LiteRt> {
  loading ??= (async () => {
    const require = localRequire();
    let coreDir: string;
    try {
      coreDir = path.dirname(require.resolve('@litertjs/core/package.json'));
    } catch {
      throw new MoError("LiteRT.js is not installed: run `npm install @litertjs/core` (an optional peer dependency of @mo/convert-tflite)");
    }
    const g = globalThis as Record<string, unknown>;
    g.self ??= globalThis;
    g.Module = { print: (s: unknown) => log.push(String(s)), printErr: (s: unknown) => log.push(String(s)) };
    g.importScripts = (url: string) => {
      const file = url.startsWith('file:') ? fileURLToPath(url) : url;
      g.require = require;
      g.__filename = file;
      g.__dirname = path.dirname(file);
      vm.runInThisContext(readFileSync(file, 'utf8'), { filename: file });
    };
    // LiteRT.js tries WebGPU first and reports its absence on the console; it then runs on wasm.
    const { warn, error } = console;
    console.warn = () => {};
    console.error = () => {};
    try {
      const lrt = (await import('@litertjs/core')) as LiteRt;
      await lrt.loadLiteRt(`${coreDir}/wasm/`);
      return lrt;
    } finally {
      console.warn = warn;
      console.error = error;
    }
  })();
  return loading;
}

/**
 * Compiles `bytes` for LiteRT.js's wasm (XNNPACK) CPU accelerator.
 *
 * @example
 * ```ts
 * const model = await compileTflite(bytes);
 * const { outputs } = await model.run([{ data: image, shape: [1, 28, 28, 1] }]);
 * model.delete();
 * ```
 */
export async function compileTflite(bytes: Uint8Array): Promise<LiteRtModel> {
  const lrt = await loadLiteRt();
  const start = log.length;
  let compiled: Awaited<ReturnType<LiteRt['loadAndCompile']>>;
  try {
    compiled = await lrt.loadAndCompile(bytes, { accelerator: 'wasm' });
  } catch (e) {
    throw new LiteRtError(`LiteRT.js cannot compile the model: ${(e as Error).message}`, log.slice(start));
  }
  const errors = log.slice(start).filter((l) => /ERROR/.test(l));
  if (errors.length) {
    compiled.delete();
    throw new LiteRtError(`LiteRT.js logged errors while compiling:\n${errors.join('\n')}`, log.slice(start));
  }
  const details = (d: readonly { name: string; dtype: string; shape: ArrayLike<number> }[]) => d.map((t) => ({ name: t.name, dtype: String(t.dtype), shape: Array.from(t.shape) }));
  const outDetails = details(compiled.getOutputDetails());
  return {
    inputs: details(compiled.getInputDetails()),
    outputs: outDetails,
    async run(inputs) {
      const from = log.length;
      const tensors = inputs.map((x) => new lrt.Tensor(x.data as Parameters<typeof lrt.Tensor.fromTypedArray>[0], [...x.shape]));
      try {
        const out = await compiled.run(tensors);
        const outputs = out.map((t, k) => {
          const data = (t.toTypedArray() as LiteRtArray).slice();
          t.delete();
          return { data, shape: outDetails[k].shape, dtype: outDetails[k].dtype };
        });
        const lines = log.slice(from);
        const errors = lines.filter((l) => /ERROR/.test(l));
        if (errors.length) throw new LiteRtError(`LiteRT.js logged errors:\n${errors.join('\n')}`, lines);
        return { outputs, log: lines };
      } finally {
        for (const t of tensors) t.delete();
        // The log is only needed per run; keep it from growing over long evaluation loops.
        if (log.length > 10_000) log.splice(0, log.length - 1000);
      }
    },
    delete: () => compiled.delete(),
  };
}

/**
 * Compiles `bytes`, runs them once on `inputs` and frees the model.
 *
 * @example
 * ```ts
 * const { outputs } = await runTflite(bytes, [{ data: new Float32Array(3 * 96 * 96), shape: [1, 96, 96, 3] }]);
 * ```
 */
export async function runTflite(bytes: Uint8Array, inputs: readonly LiteRtTensor[]): Promise<LiteRtRun> {
  const model = await compileTflite(bytes);
  try {
    return await model.run(inputs);
  } finally {
    model.delete();
  }
}
