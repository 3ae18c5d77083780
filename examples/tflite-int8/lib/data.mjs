// Fashion-MNIST images for calibration and evaluation: the subset shipped in fixtures/ (2,000
// training and 500 test images) or Debian's full set, normalized the way the model was trained.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, Tensor } from '@mo/ir';
import { DEBIAN_FASHION_MNIST_DIR, readIdxFile } from '@mo/train/node';

/** Reads the images ([N, 28, 28] uint8) and labels ([N]) of one split from a folder of IDX files. */
export function readSplit(dir, split) {
  const base = split === 'train' ? 'train' : 't10k';
  const file = (kind) => {
    for (const name of [`${base}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`, `${base}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte`]) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
    throw new ArgumentError(`no Fashion-MNIST ${split} ${kind} in '${dir}'${dir === DEBIAN_FASHION_MNIST_DIR ? " (install Debian's dataset-fashion-mnist)" : ''}`);
  };
  const images = readIdxFile(file('images'));
  const labels = readIdxFile(file('labels'));
  return { images: images.data, labels: labels.data, count: labels.shape[0] };
}

/**
 * Images `from`..`from + n` as one float32 NCHW batch [n, 1, 28, 28], pixel p -> (p * scale - mean) / std.
 */
export function imageBatch(split, from, n, norm) {
  const size = 28 * 28;
  const out = new Float32Array(n * size);
  const { scale, mean, std } = norm;
  for (let i = 0; i < n * size; i++) out[i] = (split.images[from * size + i] * scale - mean) / std;
  return new Tensor('float32', [n, 1, 28, 28], out);
}

/** Index of the largest value of each row of a [n, k] array. */
export function argmaxRows(data, n) {
  const k = data.length / n;
  const top = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (data[r * k + c] > data[r * k + best]) best = c;
    top[r] = best;
  }
  return top;
}
