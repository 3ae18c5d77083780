/**
 * LiteRT.js (@litertjs/core, the current TFLite kernels + XNNPACK compiled to wasm) in Node 20,
 * with the small shim it needs outside a browser: `self`, an `importScripts` that runs the
 * Emscripten loader with `vm.runInThisContext`, and `Module.print/printErr` capturing its log.
 * Any logged ERROR line fails the run: for some invalid models `run()` still returns zeros.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const coreDir = path.dirname(require.resolve('@litertjs/core/package.json'));

type LiteRt = typeof import('@litertjs/core');

let loading: Promise<LiteRt> | undefined;
const log: string[] = [];

/** Loads LiteRT.js once per process. */
export function liteRt(): Promise<LiteRt> {
  loading ??= (async () => {
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
    const warn = console.warn;
    const error = console.error;
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

export interface RunResult {
  readonly outputs: { data: Float32Array | Int8Array | Int32Array | Uint8Array; shape: number[]; dtype: string }[];
  readonly log: readonly string[];
}

type Feed = Float32Array | Int8Array | Int32Array | Uint8Array;

/** Compiles `bytes` for the wasm (XNNPACK) CPU accelerator and runs it once; throws on a logged ERROR. */
export async function runTflite(bytes: Uint8Array, inputs: readonly { data: Feed; shape: readonly number[] }[]): Promise<RunResult> {
  const lrt = await liteRt();
  log.length = 0;
  const model = await lrt.loadAndCompile(bytes, { accelerator: 'wasm' });
  const details = model.getOutputDetails();
  const tensors = inputs.map((x) => new lrt.Tensor(x.data as Parameters<typeof lrt.Tensor.fromTypedArray>[0], [...x.shape]));
  try {
    const out = await model.run(tensors);
    const outputs = out.map((t, k) => {
      const data = t.toTypedArray() as Float32Array;
      const res = { data: data.slice(), shape: [...details[k].shape], dtype: String(details[k].dtype) };
      t.delete();
      return res;
    });
    const errors = log.filter((l) => /ERROR/.test(l));
    if (errors.length) throw new Error(`LiteRT.js logged errors:\n${errors.join('\n')}`);
    return { outputs, log: [...log] };
  } finally {
    for (const t of tensors) t.delete();
    model.delete();
  }
}
