/**
 * Seeded fuzzing of the reader: thousands of mutated and truncated variants of real models must
 * each either load or throw FormatError / UnsupportedOpError (the only two errors `parseOnnx`
 * documents), each within one second: no crash, no hang, no other exception type.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, GraphBuilder, UnsupportedOpError, tensor, perAxis } from '@mo/ir';
import { loadOnnx, parseOnnx, saveOnnx } from '../src/index.js';
import { mobileNetV2, smallCnn, transformerBlock } from './models.js';

/** xorshift32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function quantizedModel(): Uint8Array {
  const b = new GraphBuilder('quantized');
  const x = b.input('x', 'float32', ['n', 8]);
  const wq = b.constant(tensor('int8', Array.from({ length: 32 }, (_, i) => (i * 7) % 255 - 127), [4, 8], perAxis(0, [0.1, 0.2, 0.05, 0.3], [0, 1, -2, 3])));
  const wf = b.dequantize(wq);
  const q = b.quantizeLinear(b.gemm(x, wf, undefined, { transB: 1 }), tensor('float32', 0.05, []), tensor('uint8', 128, []));
  b.output(b.dequantizeLinear(q, tensor('float32', 0.05, []), tensor('uint8', 128, [])), 'y');
  return saveOnnx(b.build());
}

const TESTDATA = '/usr/share/libonnx-testdata/data';
const REAL = [
  'node/test_conv_with_strides_and_asymmetric_padding',
  'node/test_resize_upsample_scales_linear',
  'node/test_lstm_defaults',
  'node/test_if',
  'node/test_reshape_reordered_all_dims',
  'pytorch-converted/test_Conv2d_depthwise_padded',
  'pytorch-operator/test_operator_maxpool',
];

function seeds(): { name: string; bytes: Uint8Array }[] {
  const out = [
    { name: 'small-cnn', bytes: saveOnnx(smallCnn()) },
    { name: 'encoder-block', bytes: saveOnnx(transformerBlock({ seq: 4, dim: 16, heads: 2 })) },
    { name: 'mobilenet-v2-tiny', bytes: saveOnnx(mobileNetV2({ width: 0.35, size: 32, classes: 10 })) },
    { name: 'quantized', bytes: quantizedModel() },
  ];
  for (const r of REAL) {
    const p = `${TESTDATA}/${r}/model.onnx`;
    if (existsSync(p)) out.push({ name: r, bytes: new Uint8Array(readFileSync(p)) });
  }
  return out;
}

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;
const pick = (r: () => number, n: number) => Math.floor(r() * n);
const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, r) => b.slice(0, pick(r, b.length)),
  flipBytes: (b, r) => {
    const c = b.slice();
    const k = 1 + pick(r, 8);
    for (let i = 0; i < k; i++) c[pick(r, c.length)] = pick(r, 256);
    return c;
  },
  flipBits: (b, r) => {
    const c = b.slice();
    c[pick(r, c.length)] ^= 1 << pick(r, 8);
    return c;
  },
  // Large varints where lengths and dims live: the classic way to ask a reader for gigabytes.
  bigVarint: (b, r) => {
    const at = pick(r, b.length);
    const c = new Uint8Array(b.length + 5);
    c.set(b.subarray(0, at));
    c.set([0xff, 0xff, 0xff, 0xff, 0x0f], at);
    c.set(b.subarray(at), at + 5);
    return c;
  },
  zeroRun: (b, r) => {
    const c = b.slice();
    const at = pick(r, c.length);
    c.fill(0, at, at + 1 + pick(r, 64));
    return c;
  },
  duplicateSlice: (b, r) => {
    const at = pick(r, b.length);
    const len = 1 + pick(r, Math.min(256, b.length - at));
    const c = new Uint8Array(b.length + len);
    c.set(b.subarray(0, at + len));
    c.set(b.subarray(at), at + len);
    return c;
  },
  insertRandom: (b, r) => {
    const at = pick(r, b.length);
    const len = 1 + pick(r, 16);
    const c = new Uint8Array(b.length + len);
    c.set(b.subarray(0, at));
    for (let i = 0; i < len; i++) c[at + i] = pick(r, 256);
    c.set(b.subarray(at), at + len);
    return c;
  },
};

/** Large initializers and a large Constant: loading from a path reads those from the file on their own. */
function largeTensorModel(): Uint8Array {
  const b = new GraphBuilder('large');
  const x = b.input('x', 'float32', ['n', 64]);
  const w = b.constant(tensor('float32', Array.from({ length: 64 * 96 }, (_, i) => Math.sin(i)), [96, 64]));
  const h = b.relu(b.gemm(x, w, undefined, { transB: 1 }));
  const w2 = b.constant(tensor('float32', Array.from({ length: 96 * 48 }, (_, i) => Math.cos(i) / 8), [96, 48]));
  b.output(b.matmul(h, w2), 'y');
  return saveOnnx(b.build());
}

describe('fuzzing the ONNX reader', () => {
  const models = seeds();

  it('every seed model loads unmodified', () => {
    for (const m of models) {
      try {
        parseOnnx(m.bytes);
      } catch (e) {
        // Real test models may use ops without an IR form; that must be the documented error.
        expect(e, m.name).toBeInstanceOf(UnsupportedOpError);
      }
    }
  });

  // FUZZ_SEED / FUZZ_COUNT run longer campaigns by hand; CI uses the fixed seed.
  const seed = Number(process.env.FUZZ_SEED ?? 20240611);
  const count = Number(process.env.FUZZ_COUNT ?? 2800);
  it(`${count} mutated variants load or throw FormatError/UnsupportedOpError within 1 s each`, () => {
    const r = rng(seed);
    const names = Object.keys(MUTATIONS);
    const perModel = Math.ceil(count / models.length);
    const stats = { loaded: 0, format: 0, unsupported: 0 };
    let slowest = 0;
    let slowestAt = '';
    for (const m of models) {
      for (let i = 0; i < perModel; i++) {
        const kind = names[i % names.length];
        const variant = MUTATIONS[kind](m.bytes, r);
        const t0 = performance.now();
        try {
          const g = parseOnnx(variant);
          saveOnnx(g);
          stats.loaded++;
        } catch (e) {
          if (e instanceof FormatError) stats.format++;
          else if (e instanceof UnsupportedOpError) stats.unsupported++;
          else throw new Error(`${m.name} variant ${i} (${kind}) threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`);
        }
        const ms = performance.now() - t0;
        if (ms > slowest) slowestAt = `${m.name} #${i} ${kind}`;
        slowest = Math.max(slowest, ms);
        if (ms > 1000) throw new Error(`${m.name} variant ${i} (${kind}) took ${ms.toFixed(0)} ms`);
      }
    }
    const total = stats.loaded + stats.format + stats.unsupported;
    expect(total).toBeGreaterThanOrEqual(2000);
    console.log(`fuzz: ${total} variants of ${models.length} models: ${stats.loaded} loaded, ${stats.format} FormatError, ${stats.unsupported} UnsupportedOpError; slowest ${slowest.toFixed(0)} ms (${slowestAt})`);
  }, 300_000);

  // The path reader scans the file and reads large raw_data on its own: on every variant it must
  // agree with parseOnnx of the same bytes (same graph, or a documented error).
  it('mutated files load from a path exactly as their bytes parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-fuzz-'));
    try {
      const base = largeTensorModel();
      const r = rng(seed + 1);
      const names = Object.keys(MUTATIONS);
      const file = join(dir, 'm.onnx');
      let loaded = 0;
      for (let i = 0; i < 300; i++) {
        const kind = names[i % names.length];
        const variant = MUTATIONS[kind](base, r);
        writeFileSync(file, variant);
        let want: unknown;
        try {
          want = parseOnnx(variant);
        } catch (e) {
          want = e;
        }
        let got: unknown;
        try {
          got = await loadOnnx(file);
        } catch (e) {
          got = e;
        }
        const where = `variant ${i} (${kind})`;
        if (want instanceof Error) {
          expect(got, where).toBeInstanceOf(Error);
          expect(got instanceof FormatError || got instanceof UnsupportedOpError, `${where}: ${(got as Error).message}`).toBe(true);
          continue;
        }
        if (got instanceof Error) throw new Error(`${where}: parseOnnx loads it, loadOnnx(path) threw ${got.constructor.name}: ${got.message}`);
        const [a, b] = [got as ReturnType<typeof parseOnnx>, want as ReturnType<typeof parseOnnx>];
        expect(a.equals(b), where).toBe(true);
        for (const [name, t] of b.initializers) expect(Array.from(a.initializers.get(name)!.toNumbers() as number[]), `${where} ${name}`).toEqual(Array.from(t.toNumbers() as number[]));
        loaded++;
      }
      expect(loaded).toBeGreaterThan(20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
