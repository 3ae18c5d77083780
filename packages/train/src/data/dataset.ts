/**
 * Datasets and batches. A dataset gives batches for an epoch as a (sync and async) iterable, so
 * the same object drives training, evaluation and calibration of the compress stages. The plain
 * `ArrayDataset` holds all examples in two tensors; batches are shuffled with a seeded generator
 * (one stream per epoch), so a run is reproducible.
 */
import { ArgumentError, ShapeError, Tensor, allocate, formatShape, type StaticShape, type TypedArray } from '@mo/ir';
import { Rng } from './random.js';

/** A batch: inputs [B, ...] and targets [B, ...]. */
export interface Batch {
  readonly input: Tensor;
  readonly target: Tensor;
}

/** Options of {@link Dataset.batches}. */
export interface BatchOptions {
  /** Examples per batch (default 32). */
  batchSize?: number;
  /** Shuffle the examples (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** Epoch number: each epoch draws its own order from the seed (default 0). */
  epoch?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** Anything that yields batches for an epoch. */
export interface Dataset {
  /** Number of examples, when known. */
  readonly length?: number;
  batches(options?: BatchOptions): Iterable<Batch> | AsyncIterable<Batch>;
}

/** An iterable that is both sync and async. */
export interface BatchIterable extends Iterable<Batch>, AsyncIterable<Batch> {}

function checkInt(what: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ArgumentError(`${what} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

/**
 * Copies rows `rows` of a [N, ...] tensor into a new [rows.length, ...] tensor.
 *
 * @example
 * ```ts
 * const firstTwo = gatherRows(images, [0, 1]);
 * ```
 */
export function gatherRows(t: Tensor, rows: ArrayLike<number>): Tensor {
  const inner = t.size / t.shape[0];
  const data = allocate(t.dtype, rows.length * inner) as TypedArray;
  const src = t.data as TypedArray;
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * inner;
    (data as Float32Array).set((src as Float32Array).subarray(from, from + inner), r * inner);
  }
  return new Tensor(t.dtype, [rows.length, ...t.shape.slice(1)], data);
}

/**
 * A dataset held in memory: `inputs` [N, ...] and `targets` [N, ...] (e.g. images [N, 1, 28, 28]
 * and labels [N]).
 *
 * @example
 * ```ts
 * const ds = new ArrayDataset(images, labels);
 * for await (const batch of ds.batches({ batchSize: 64, shuffle: true, seed: 1 })) console.log(batch.input.shape);
 * ```
 */
export class ArrayDataset implements Dataset {
  readonly inputs: Tensor;
  readonly targets: Tensor;

  constructor(inputs: Tensor, targets: Tensor) {
    if (inputs.rank < 1 || targets.rank < 1) throw new ShapeError(`inputs ${formatShape(inputs.shape)} and targets ${formatShape(targets.shape)} need a leading example dimension`);
    if (inputs.shape[0] !== targets.shape[0]) {
      throw new ShapeError(`inputs ${formatShape(inputs.shape)} and targets ${formatShape(targets.shape)} hold different numbers of examples (${inputs.shape[0]} vs ${targets.shape[0]})`);
    }
    if (inputs.dtype === 'int4' || inputs.dtype === 'uint4' || targets.dtype === 'int4' || targets.dtype === 'uint4') {
      throw new ArgumentError('packed 4-bit tensors cannot be batched; convert them first');
    }
    this.inputs = inputs;
    this.targets = targets;
  }

  /** Number of examples. */
  get length(): number {
    return this.inputs.shape[0];
  }

  /** The examples at `indices` as one batch. */
  batch(indices: ArrayLike<number>): Batch {
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.length) throw new ArgumentError(`example index ${k} is out of range 0..${this.length - 1}`);
    }
    return { input: gatherRows(this.inputs, indices), target: gatherRows(this.targets, indices) };
  }

  /** A dataset of the examples [start, end). */
  slice(start: number, end = this.length): ArrayDataset {
    const s = Math.max(0, Math.min(start, this.length));
    const e = Math.max(s, Math.min(end, this.length));
    return this.subset(Array.from({ length: e - s }, (_, i) => s + i));
  }

  /** A dataset of the examples at `indices` (copied). */
  subset(indices: ArrayLike<number>): ArrayDataset {
    const b = this.batch(indices);
    return new ArrayDataset(b.input, b.target);
  }

  /** The batches of one epoch. */
  batches(options: BatchOptions = {}): BatchIterable {
    const size = checkInt("option 'batchSize'", options.batchSize ?? 32, 1);
    const epoch = checkInt("option 'epoch'", options.epoch ?? 0, 0);
    const n = this.length;
    const order = options.shuffle ? new Rng(options.seed ?? 0).fork(epoch).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const count = options.dropLast ? Math.floor(n / size) : Math.ceil(n / size);
    const self = this;
    function* gen(): Generator<Batch> {
      for (let b = 0; b < count; b++) yield self.batch(order.subarray(b * size, Math.min(n, (b + 1) * size)));
    }
    return {
      [Symbol.iterator]: gen,
      async *[Symbol.asyncIterator]() {
        yield* gen();
      },
    };
  }
}

/**
 * Converts images (uint8 or float, [N, H, W] or [N, C, H, W]) to float32 [N, C, H, W] with
 * x' = (x * scale - mean) / std, per channel when mean/std are arrays.
 *
 * @example
 * ```ts
 * const x = normalizeImages(images, { scale: 1 / 255, mean: 0.2860, std: 0.3530 });
 * ```
 */
export function normalizeImages(images: Tensor, opts: { scale?: number; mean?: number | readonly number[]; std?: number | readonly number[] } = {}): Tensor {
  if (images.rank !== 3 && images.rank !== 4) throw new ShapeError(`images must be [N, H, W] or [N, C, H, W], got ${formatShape(images.shape)}`);
  const shape: StaticShape = images.rank === 3 ? [images.shape[0], 1, images.shape[1], images.shape[2]] : images.shape;
  const C = shape[1];
  const plane = shape[2] * shape[3];
  const scale = opts.scale ?? 1;
  const perChannel = (v: number | readonly number[] | undefined, fill: number, what: string): number[] => {
    if (v === undefined) return new Array<number>(C).fill(fill);
    if (typeof v === 'number') return new Array<number>(C).fill(v);
    if (v.length !== C) throw new ArgumentError(`option '${what}' has ${v.length} values for ${C} channels`);
    return [...v];
  };
  const mean = perChannel(opts.mean, 0, 'mean');
  const std = perChannel(opts.std, 1, 'std');
  if (std.some((s) => !(s > 0))) throw new ArgumentError(`option 'std' must be > 0, got ${JSON.stringify(opts.std)}`);
  const out = new Float32Array(images.size);
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / plane) % C;
    out[i] = (images.get(i) * scale - mean[c]) / std[c];
  }
  return new Tensor('float32', shape, out);
}

/**
 * The batches of a dataset as feeds of a graph input: calibration data for the compress stages.
 *
 * @example
 * ```ts
 * for await (const feeds of asFeeds(ds, { inputName: 'input', batchSize: 16, limit: 8 })) run(graph, feeds);
 * ```
 */
export async function* asFeeds(data: Dataset, options: BatchOptions & { inputName?: string; limit?: number } = {}): AsyncGenerator<Record<string, Tensor>> {
  const name = options.inputName ?? 'input';
  let k = 0;
  for await (const b of data.batches(options)) {
    if (options.limit !== undefined && k++ >= options.limit) return;
    yield { [name]: b.input };
  }
}
