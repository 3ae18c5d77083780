/**
 * loadOnnx reads large raw_data from the file straight into buffers of their own and copies small
 * ones out of the buffer that holds the rest of the file: every tensor must come out exactly as
 * parseOnnx, which copies from the caller's bytes, decodes it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Graph, Tensor } from '@mo/ir';
import { loadOnnx, parseOnnx } from '../src/index.js';
import { makeModel, valueInfo } from './helpers.js';

const raw = (t: Tensor) => {
  const d = t.data as Uint8Array;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
};
const sameBytes = (a: Tensor, b: Tensor) => Buffer.compare(raw(a), raw(b)) === 0;

const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-inplace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('decodes raw_data of every alignment, size and element size like parseOnnx', async () => {
  const kinds: [number, number][] = [[1, 4], [11, 8], [7, 8], [10, 2], [3, 1], [6, 4]]; // float32, float64, int64, float16, int8, int32
  const initializers = [];
  let k = 0;
  for (const [dataType, size] of kinds) {
    for (const count of [1, 3, 40, 300, 5000]) {
      for (let pad = 0; pad < 8; pad++) {
        const raw = new Uint8Array(count * size);
        for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + k * 13) & 0xff;
        // Keep float values finite and distinct from NaN patterns: bytes are compared, not values.
        initializers.push({ name: `w${k++}${'_'.repeat(pad)}`, dataType, dims: [count], rawData: raw });
      }
    }
  }
  const bytes = makeModel({
    opset: 13,
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    inputs: [valueInfo('x', 'float32', [2])],
    outputs: [valueInfo('y', 'float32', [2])],
    initializers,
  });
  const file = join(dir, 'm.onnx');
  writeFileSync(file, bytes);
  const copied = parseOnnx(bytes);
  const loaded = await loadOnnx(file);
  expect([...loaded.initializers.keys()]).toEqual([...copied.initializers.keys()]);
  const buffers = new Set<ArrayBufferLike>();
  let large = 0;
  for (const [name, t] of loaded.initializers) {
    const c = copied.initializers.get(name)!;
    expect(t.dtype).toBe(c.dtype);
    expect(t.shape).toEqual(c.shape);
    expect(sameBytes(t, c), name).toBe(true);
    // Every tensor has storage of its own: nothing keeps the rest of the file alive.
    const d = t.data as Uint8Array;
    expect(buffers.has(d.buffer), name).toBe(false);
    buffers.add(d.buffer);
    expect(d.byteOffset).toBe(0);
    if (d.byteLength >= 16384) large++;
  }
  expect(large).toBeGreaterThan(10);
  // parseOnnx never shares the caller's bytes.
  for (const t of copied.initializers.values()) expect((t.data as Uint8Array).buffer).not.toBe(bytes.buffer);
});

it('keeps no view into the reused read buffer, and reads files over 32 MiB the same way', async () => {
  const model = (seed: number, big: number) =>
    makeModel({
      opset: 13,
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
      inputs: [valueInfo('x', 'float32', [2])],
      outputs: [valueInfo('y', 'float32', [2])],
      initializers: [3, 40, 5000, big].map((count, i) => {
        const raw = new Uint8Array(count * 4);
        for (let j = 0; j < raw.length; j += 97) raw[j] = (j + seed * 31 + i) & 0x7f;
        return { name: `t${i}${'_'.repeat(seed % 3)}`, dataType: 1, dims: [count], rawData: raw };
      }),
    });
  const a = model(1, 6000);
  const b = model(2, 9 * 2 ** 20); // 36 MiB of float32: beyond the kept buffer
  const c = model(3, 7000);
  const files = [a, b, c].map((bytes, i) => {
    const f = join(dir, `reuse-${i}.onnx`);
    writeFileSync(f, bytes);
    return f;
  });
  const loaded: Graph[] = [];
  for (const f of files) loaded.push(await loadOnnx(f));
  // Loading b and c after a must not have changed a's tensors (nor c's b's).
  [a, b, c].forEach((bytes, i) => {
    const want = parseOnnx(bytes);
    for (const [name, t] of want.initializers) expect(sameBytes(loaded[i].initializers.get(name)!, t), `${i} ${name}`).toBe(true);
  });
}, 60_000);
