/**
 * Training-time augmentation on batches of float images [B, C, H, W]. A transform takes a batch
 * and the trainer's seeded generator and returns a new batch (inputs are never written into).
 */
import { ArgumentError, ShapeError, Tensor, formatShape } from '@mo/ir';
import { floats, allocFloat, trainDType } from '../autodiff/array.js';
import type { Batch } from './dataset.js';
import type { Rng } from './random.js';

/** A batch transform (augmentation). */
export type Transform = (batch: Batch, rng: Rng) => Batch;

function images(batch: Batch, name: string): { x: Tensor; B: number; C: number; H: number; W: number } {
  const x = batch.input;
  if (x.rank !== 4) throw new ShapeError(`${name} needs image batches [B, C, H, W], got ${formatShape(x.shape)}`);
  trainDType(x, 'batch input');
  const [B, C, H, W] = x.shape;
  return { x, B, C, H, W };
}

/**
 * Pads each image by `padding` pixels (value `fill`) on every side and crops it back to its size
 * at a random offset (the standard CIFAR/MNIST augmentation).
 *
 * @example
 * ```ts
 * const augment = randomCrop({ padding: 2 });
 * ```
 */
export function randomCrop(opts: { padding: number; fill?: number }): Transform {
  const pad = opts.padding;
  if (!Number.isInteger(pad) || pad < 0) throw new ArgumentError(`option 'padding' of randomCrop must be an integer >= 0, got ${String(pad)}`);
  const fill = opts.fill ?? 0;
  return (batch, rng) => {
    const { x, B, C, H, W } = images(batch, 'randomCrop');
    const src = floats(x);
    const out = allocFloat(trainDType(x), x.size);
    for (let b = 0; b < B; b++) {
      const dy = rng.int(2 * pad + 1) - pad;
      const dx = rng.int(2 * pad + 1) - pad;
      for (let c = 0; c < C; c++) {
        const base = (b * C + c) * H * W;
        for (let h = 0; h < H; h++) {
          const sh = h + dy;
          for (let w = 0; w < W; w++) {
            const sw = w + dx;
            out[base + h * W + w] = sh >= 0 && sh < H && sw >= 0 && sw < W ? src[base + sh * W + sw] : fill;
          }
        }
      }
    }
    return { input: new Tensor(x.dtype, x.shape, out), target: batch.target };
  };
}

/**
 * Mirrors each image left-right with probability `probability` (default 0.5).
 *
 * @example
 * ```ts
 * const augment = randomHorizontalFlip();
 * ```
 */
export function randomHorizontalFlip(opts: { probability?: number } = {}): Transform {
  const p = opts.probability ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`option 'probability' of randomHorizontalFlip must be in [0, 1], got ${String(p)}`);
  return (batch, rng) => {
    const { x, B, C, H, W } = images(batch, 'randomHorizontalFlip');
    const src = floats(x);
    const out = allocFloat(trainDType(x), x.size);
    out.set(src);
    for (let b = 0; b < B; b++) {
      if (!(rng.next() < p)) continue;
      for (let c = 0; c < C; c++) {
        for (let h = 0; h < H; h++) {
          const row = ((b * C + c) * H + h) * W;
          for (let w = 0; w < W; w++) out[row + w] = src[row + W - 1 - w];
        }
      }
    }
    return { input: new Tensor(x.dtype, x.shape, out), target: batch.target };
  };
}

/**
 * Applies transforms in order.
 *
 * @example
 * ```ts
 * const augment = composeTransforms([randomCrop({ padding: 2 }), randomHorizontalFlip()]);
 * ```
 */
export function composeTransforms(transforms: readonly Transform[]): Transform {
  return (batch, rng) => transforms.reduce((b, t) => t(b, rng), batch);
}
