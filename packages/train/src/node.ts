/**
 * @mo/train/node: the Node-only part of @mo/train (files and zlib). Everything else lives in the
 * browser-safe main entry.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from '@mo/train/node';
 * const { train, test } = loadFashionMnist();
 * console.log(train.length, test.length); // 60000 10000
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ArgumentError, FormatError, type Tensor } from '@mo/ir';
import { ArrayDataset, normalizeImages } from './data/dataset.js';
import { isGzip, parseIdx } from './data/idx.js';

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Mean and standard deviation of the Fashion-MNIST training pixels (scaled to [0, 1]). */
export const FASHION_MNIST_STATS = Object.freeze({ mean: 0.286, std: 0.353 });

/**
 * Reads an IDX file (gzip-compressed or not) into a tensor.
 *
 * @example
 * ```ts
 * const labels = readIdxFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * ```
 */
export function readIdxFile(path: string): Tensor {
  if (!existsSync(path)) throw new ArgumentError(`IDX file '${path}' does not exist`, { file: path });
  let bytes: Uint8Array = readFileSync(path);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new FormatError(`cannot gunzip: ${(e as Error).message}`, { file: path, offset: 0 });
    }
  }
  return parseIdx(bytes, path);
}

/** Options of {@link loadFashionMnist}. */
export interface LoadFashionMnistOptions {
  /** Folder with the four IDX files, gzip-compressed or not (default: Debian's location). */
  dir?: string;
  /** Normalize images to float32 [N, 1, 28, 28] with the dataset's mean and std (default true); false keeps uint8 [N, 28, 28]. */
  normalize?: boolean;
  /** Keep only the first `limit` training and test examples. */
  limit?: { train?: number; test?: number };
}

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new ArgumentError(`no '${base}' or '${base}.gz' in '${dir}' (install Debian's dataset-fashion-mnist or pass { dir })`, { file: join(dir, base) });
}

/**
 * Loads Fashion-MNIST (or MNIST: same file names) from a folder of IDX files as two datasets
 * with uint8 labels [N].
 *
 * @example
 * ```ts
 * const { train, test } = loadFashionMnist({ limit: { train: 5000 } });
 * ```
 */
export function loadFashionMnist(options: LoadFashionMnistOptions = {}): { train: ArrayDataset; test: ArrayDataset } {
  const dir = options.dir ?? DEBIAN_FASHION_MNIST_DIR;
  const load = (images: string, labels: string, limit: number | undefined) => {
    const x = readIdxFile(findFile(dir, images));
    const y = readIdxFile(findFile(dir, labels));
    if (x.rank !== 3 || y.rank !== 1 || x.shape[0] !== y.shape[0]) {
      throw new FormatError(`images ${JSON.stringify(x.shape)} and labels ${JSON.stringify(y.shape)} do not form an image dataset`, { file: join(dir, images) });
    }
    let ds = new ArrayDataset(x, y);
    if (limit !== undefined) ds = ds.slice(0, limit);
    return options.normalize === false ? ds : new ArrayDataset(normalizeImages(ds.inputs, { scale: 1 / 255, ...FASHION_MNIST_STATS }), ds.targets);
  };
  return {
    train: load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', options.limit?.train),
    test: load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', options.limit?.test),
  };
}
