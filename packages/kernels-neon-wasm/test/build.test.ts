/** The generated files (microkernels, variant lists, embedded wasm) match a fresh generation. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNELS_WASM_BYTES, KERNELS_WASM_THREADS_BYTES } from '../src/wasm/kernels-wasm.generated.js';
import { kernelsWasmBytes } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('generated files', () => {
  it('the embedded module decodes to a valid SIMD wasm module', () => {
    const bytes = kernelsWasmBytes();
    expect(bytes.length).toBe(KERNELS_WASM_BYTES);
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes as BufferSource));
    expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    // the threads build imports a shared memory and has the same exports
    const mt = kernelsWasmBytes(true);
    expect(mt.length).toBe(KERNELS_WASM_THREADS_BYTES);
    const mtModule = new WebAssembly.Module(mt as BufferSource);
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
    expect(names(mtModule)).toEqual(names(new WebAssembly.Module(bytes as BufferSource)));
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true } as WebAssembly.MemoryDescriptor);
    expect(() => new WebAssembly.Instance(mtModule, { env: { memory: shared } })).not.toThrow();
  });

  it('regenerating the microkernels and recompiling the wasm module changes nothing', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
  }, 180_000);
});
