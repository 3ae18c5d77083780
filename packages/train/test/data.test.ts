/**
 * Data: the IDX reader (round trips, gzip, validation with offsets), the committed Fashion-MNIST
 * fixture and its provenance, datasets, seeded shuffling, batching and augmentation.
 */
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError, FormatError, Tensor, tensor, tensorsEqual, type DType } from '@mo/ir';
import {
  ArrayDataset,
  Rng,
  asFeeds,
  encodeIdx,
  normalizeImages,
  parseIdx,
  randomCrop,
  randomHorizontalFlip,
  readIdx,
  type Batch,
} from '../src/index.js';
import { loadFashionMnist, readIdxFile } from '../src/node.js';

const FIXTURE = new URL('../../../fixtures/fashion-mnist', import.meta.url).pathname;

describe('IDX', () => {
  const dtypes: DType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];
  const ranges: Record<string, [number, number]> = { uint8: [0, 255], int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1] };

  it('round-trips every element type and shape (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer(), (dtype, shape, seed) => {
        const rng = new Rng(seed);
        const size = shape.reduce((a, b) => a * b, 1);
        const [lo, hi] = ranges[dtype] ?? [-1e6, 1e6];
        const values = Array.from({ length: size }, () => (dtype.startsWith('float') ? lo + (hi - lo) * rng.next() : lo + rng.int(hi - lo + 1)));
        const t = tensor(dtype, values, shape);
        expect(tensorsEqual(parseIdx(encodeIdx(t)), t)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reads gzip through DecompressionStream (browser-safe) and through zlib (Node entry)', async () => {
    const t = tensor('uint8', [1, 2, 3, 4, 5, 6], [2, 3]);
    const gz = gzipSync(encodeIdx(t));
    expect(tensorsEqual(await readIdx(gz), t)).toBe(true);
    expect(tensorsEqual(await readIdx(encodeIdx(t)), t)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'mo-idx-'));
    try {
      writeFileSync(join(dir, 'a.gz'), gz);
      writeFileSync(join(dir, 'a'), encodeIdx(t));
      expect(tensorsEqual(readIdxFile(join(dir, 'a.gz')), t)).toBe(true);
      expect(tensorsEqual(readIdxFile(join(dir, 'a')), t)).toBe(true);
      expect(() => readIdxFile(join(dir, 'missing'))).toThrow(ArgumentError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates before it trusts: FormatError with the byte offset', () => {
    const good = encodeIdx(tensor('int16', [1, 2, 3, 4], [2, 2]));
    const cases: [Uint8Array, RegExp, number][] = [
      [good.slice(0, 3), /shorter than its 4-byte header/, 0],
      [Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0), /first two bytes/, 0],
      [Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 0), /unknown IDX type code 0x0a; expected '0x08'/, 2],
      [Uint8Array.of(0, 0, 8, 0), /0 dimensions/, 3],
      [good.slice(0, 10), /header needs 12 bytes/, 4],
      [good.slice(0, good.length - 1), /needs 20 bytes, got 19/, 19],
      [Uint8Array.of(0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0), /more than 2147483647 elements/, 8],
    ];
    for (const [bytes, message, offset] of cases) {
      let err: unknown;
      try {
        parseIdx(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).message).toMatch(message);
      expect((err as FormatError).offset).toBe(offset);
    }
    expect(() => parseIdx(gzipSync(good))).toThrow(/gzip-compressed/);
  });
});

describe('the committed Fashion-MNIST subset', () => {
  const provenance = JSON.parse(readFileSync(join(FIXTURE, 'provenance.json'), 'utf8'));

  it('matches its provenance note (hashes, sizes, class counts)', () => {
    for (const [name, info] of Object.entries(provenance.files as Record<string, { sha256: string; bytes: number }>)) {
      const bytes = readFileSync(join(FIXTURE, name));
      expect(bytes.length).toBe(info.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(info.sha256);
    }
    const { train, test } = loadFashionMnist({ dir: FIXTURE, normalize: false });
    expect([train.length, test.length]).toEqual([2000, 500]);
    expect(train.inputs.dtype).toBe('uint8');
    const counts = (ds: ArrayDataset) => {
      const c = new Array<number>(10).fill(0);
      ds.targets.toNumbers().forEach((l) => c[l]++);
      return c;
    };
    expect(counts(train)).toEqual(provenance.classCounts.train);
    expect(counts(test)).toEqual(provenance.classCounts.test);
  });

  it('loads normalized float32 [N, 1, 28, 28] with the dataset statistics', () => {
    const { train } = loadFashionMnist({ dir: FIXTURE, limit: { train: 500, test: 10 } });
    expect(train.inputs.shape).toEqual([500, 1, 28, 28]);
    const x = train.inputs.toNumbers();
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
  });
});

describe('datasets and batches', () => {
  const n = 23;
  const ds = new ArrayDataset(new Tensor('float32', [n, 2], Float32Array.from({ length: 2 * n }, (_, i) => i)), new Tensor('int32', [n], Int32Array.from({ length: n }, (_, i) => i)));
  const ids = (batches: Iterable<Batch>) => [...batches].flatMap((b) => b.target.toNumbers());

  it('visits every example once per epoch, rows kept together', () => {
    for (const shuffle of [false, true]) {
      const batches = [...ds.batches({ batchSize: 5, shuffle, seed: 1 })];
      expect(batches.map((b) => b.input.shape[0])).toEqual([5, 5, 5, 5, 3]);
      expect(ids(batches).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (const b of batches) b.target.toNumbers().forEach((id, r) => expect(b.input.toNumbers().slice(2 * r, 2 * r + 2)).toEqual([2 * id, 2 * id + 1]));
    }
    expect([...ds.batches({ batchSize: 5, dropLast: true })].length).toBe(4);
  });

  it('shuffles deterministically per seed and epoch', async () => {
    const a = ids(ds.batches({ batchSize: 4, shuffle: true, seed: 7, epoch: 0 }));
    expect(ids(ds.batches({ batchSize: 4, shuffle: true, seed: 7, epoch: 0 }))).toEqual(a);
    expect(ids(ds.batches({ batchSize: 4, shuffle: true, seed: 7, epoch: 1 }))).not.toEqual(a);
    expect(ids(ds.batches({ batchSize: 4, shuffle: true, seed: 8, epoch: 0 }))).not.toEqual(a);
    const viaAsync: number[] = [];
    for await (const b of ds.batches({ batchSize: 4, shuffle: true, seed: 7 })) viaAsync.push(...b.target.toNumbers());
    expect(viaAsync).toEqual(a);
  });

  it('serves calibration feeds', async () => {
    const feeds: Record<string, Tensor>[] = [];
    for await (const f of asFeeds(ds, { inputName: 'x', batchSize: 4, limit: 2 })) feeds.push(f);
    expect(feeds.length).toBe(2);
    expect(Object.keys(feeds[0])).toEqual(['x']);
  });

  it('slices, subsets and rejects bad indices', () => {
    expect(ds.slice(20).length).toBe(3);
    expect(ds.subset([3, 3]).targets.toNumbers()).toEqual([3, 3]);
    expect(() => ds.batch([23])).toThrow(ArgumentError);
    expect(() => [...ds.batches({ batchSize: 0 })]).toThrow(ArgumentError);
  });

  it('normalizes images per channel', () => {
    const x = normalizeImages(tensor('uint8', [0, 255, 51, 102], [1, 2, 2]), { scale: 1 / 255, mean: 0.2, std: 0.4 });
    expect(x.shape).toEqual([1, 1, 2, 2]);
    expect(x.toNumbers().map((v) => Math.round(v * 1e6) / 1e6)).toEqual([-0.5, 2, 0, 0.5]);
    expect(() => normalizeImages(tensor('uint8', [1, 2], [1, 2]))).toThrow(/\[N, H, W\]/);
  });
});

describe('augmentation', () => {
  const img = new Tensor('float32', [2, 1, 3, 3], Float32Array.from({ length: 18 }, (_, i) => i + 1));
  const batch = { input: img, target: tensor('int32', [0, 1]) };

  it('random crop with padding 0 is the identity; with padding it shifts the content', () => {
    expect(randomCrop({ padding: 0 })(batch, new Rng(1)).input.toNumbers()).toEqual(img.toNumbers());
    const rng = new Rng(2);
    const outs = Array.from({ length: 20 }, () => randomCrop({ padding: 1 })(batch, rng).input.toNumbers());
    expect(outs.some((o) => o.some((v) => v === 0))).toBe(true);
    expect(img.toNumbers()[0]).toBe(1); // the input is not written into
  });

  it('horizontal flip mirrors rows (p = 1), twice is the identity', () => {
    const f = randomHorizontalFlip({ probability: 1 });
    const once = f(batch, new Rng(1));
    expect(once.input.toNumbers().slice(0, 3)).toEqual([3, 2, 1]);
    expect(f(once, new Rng(1)).input.toNumbers()).toEqual(img.toNumbers());
    expect(() => randomHorizontalFlip({ probability: 2 })).toThrow(ArgumentError);
  });
});

describe('Rng', () => {
  it('is deterministic, forks independent streams and permutes', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(new Rng(5).fork(1).next()).not.toBe(new Rng(5).fork(2).next());
    const p = Array.from(new Rng(9).permutation(50));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => new Rng(0.5)).toThrow(ArgumentError);
  });
});
