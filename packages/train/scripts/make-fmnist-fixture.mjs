#!/usr/bin/env node
// Writes the Fashion-MNIST subset the tests use: the first 2,000 training and the first 500 test
// examples of the official IDX files (as Debian's dataset-fashion-mnist installs them), gzipped,
// plus provenance.json with the source files' SHA-256 and the class counts.
// Usage: node scripts/make-fmnist-fixture.mjs [sourceDir] [outDir]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = process.argv[3] ?? resolve(here, '../../../fixtures/fashion-mnist');
const SPLITS = [
  { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 2000 },
  { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 500 },
];

/** The first `count` items of an uncompressed IDX file (header with dim 0 rewritten). */
function head(bytes, count) {
  const rank = bytes[3];
  const header = 4 + 4 * rank;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(4, false);
  if (count > n) throw new Error(`asked for ${count} items, the file has ${n}`);
  let item = 1;
  for (let d = 1; d < rank; d++) item *= view.getUint32(4 + 4 * d, false);
  const outBytes = new Uint8Array(header + count * item);
  outBytes.set(bytes.subarray(0, header + count * item));
  new DataView(outBytes.buffer).setUint32(4, count, false);
  return outBytes;
}

mkdirSync(out, { recursive: true });
const sources = {};
const files = {};
for (const s of SPLITS) {
  for (const base of [s.images, s.labels]) {
    const gz = readFileSync(join(src, `${base}.gz`));
    sources[`${base}.gz`] = createHash('sha256').update(gz).digest('hex');
    const subset = gzipSync(head(gunzipSync(gz), s.count), { level: 9 });
    writeFileSync(join(out, `${base}.gz`), subset);
    files[`${base}.gz`] = { sha256: createHash('sha256').update(subset).digest('hex'), bytes: subset.length };
  }
}
const classCounts = (base, count) => {
  const labels = head(gunzipSync(readFileSync(join(src, `${base}.gz`))), count).subarray(8);
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
};
const provenance = {
  dataset: 'Fashion-MNIST (Zalando Research)',
  license: 'MIT (Expat), Copyright 2017 Zalando SE; see /usr/share/doc/dataset-fashion-mnist/copyright',
  upstream: 'https://github.com/zalandoresearch/fashion-mnist',
  source: `Debian package dataset-fashion-mnist, ${src}`,
  subset: 'the first 2000 training and the first 500 test examples, in file order (no selection or reordering)',
  format: 'IDX (magic 0x0803 images [N, 28, 28] uint8, 0x0801 labels [N] uint8), gzip level 9',
  generator: 'packages/train/scripts/make-fmnist-fixture.mjs',
  sourceSha256: sources,
  files,
  classCounts: { train: classCounts(SPLITS[0].labels, 2000), test: classCounts(SPLITS[1].labels, 500) },
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};
writeFileSync(join(out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
console.log(`wrote ${Object.keys(files).length} files and provenance.json to ${out}`);
