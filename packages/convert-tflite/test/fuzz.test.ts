/**
 * The reader validates before it trusts: 2,000+ seeded mutations of real exports (truncations,
 * byte flips, overwritten 32-bit words, mostly in the table region at the front of the file)
 * each either read as a graph or throw FormatError (UnsupportedOpError when the mutation turns a
 * builtin code or element type into one mo does not map), within one second each. Anything else
 * (a TypeError, a RangeError, a hang) fails.
 */
import { describe, expect, it } from 'vitest';
import { FormatError, GraphBuilder, Tensor, UnsupportedOpError } from '@mo/ir';
import { buildModel } from '@mo/models';
import { fromTflite, toTflite } from '../src/index.js';
import { floatInput, seeded } from './helpers/data.js';
import { toQdq } from './helpers/qdq.js';
import { CASES } from './graphs.js';

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bases(): { name: string; bytes: Uint8Array }[] {
  const out = CASES.slice(0, 8).map((c) => ({ name: c.name, bytes: toTflite(c.build()) }));
  const b = new GraphBuilder('tiny-int8');
  const x = b.input('x', 'float32', [1, 3, 6, 6]);
  const c = b.conv(x, new Tensor('float32', [4, 3, 3, 3], seeded(108, 2, 0.5)), new Tensor('float32', [4], seeded(4, 3)), { pads: [1, 1, 1, 1], activation: 'Relu' });
  const d = b.conv(c, new Tensor('float32', [4, 1, 3, 3], seeded(36, 4, 0.5)), undefined, { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] });
  b.output(b.softmax(b.flatten(b.globalAveragePool(d), 1), -1), 'y');
  const g = b.build();
  out.push({ name: 'tiny-int8', bytes: toTflite(toQdq(g, [{ x: floatInput(g, 0, 1) }])) });
  out.push({ name: 'tiny-fp16', bytes: toTflite(g, { weights: 'float16' }) });
  out.push({ name: 'mlp', bytes: toTflite(buildModel('mlp', { batch: 1, seed: 1 } as never)) });
  return out;
}

type Outcome = 'read' | 'format' | 'unsupported';

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const bytes = src.slice();
  const n = bytes.length;
  // Tables sit at the front (weights were written first, so they end up at the back).
  const at = () => Math.floor((rnd() < 0.75 ? Math.min(n, 2048) : n) * rnd());
  const kind = Math.floor(rnd() * 5);
  switch (kind) {
    case 0:
      return bytes.subarray(0, Math.floor(n * rnd() * (rnd() < 0.5 ? 0.1 : 1)));
    case 1: {
      const flips = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < flips; i++) bytes[at()] ^= 1 << Math.floor(rnd() * 8);
      return bytes;
    }
    case 2: {
      const edge = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, n, n - 4, 4, 8, 0xffff, Math.floor(rnd() * 2 ** 32)];
      const p = at() & ~3;
      if (p + 4 <= n) new DataView(bytes.buffer).setUint32(p, edge[Math.floor(rnd() * edge.length)], true);
      return bytes;
    }
    case 3: {
      const p = at();
      const len = 1 + Math.floor(rnd() * 64);
      for (let i = p; i < Math.min(n, p + len); i++) bytes[i] = Math.floor(rnd() * 256);
      return bytes;
    }
    default: {
      // Swap two 16-bit words (vtable entries).
      const p = at() & ~1;
      const q = at() & ~1;
      if (p + 2 <= n && q + 2 <= n) {
        const v = new DataView(bytes.buffer);
        const a = v.getUint16(p, true);
        v.setUint16(p, v.getUint16(q, true), true);
        v.setUint16(q, a, true);
      }
      return bytes;
    }
  }
}

describe('fuzzed files', () => {
  it('2,400 mutated or truncated exports: each reads or throws FormatError / UnsupportedOpError within 1 s', () => {
    const files = bases();
    const rnd = prng(Number(process.env.FUZZ_SEED ?? 20261129));
    const counts: Record<Outcome, number> = { read: 0, format: 0, unsupported: 0 };
    let slowest = 0;
    const CASES_N = Number(process.env.FUZZ_CASES ?? 2400);
    for (let k = 0; k < CASES_N; k++) {
      const base = files[k % files.length];
      const bytes = mutate(base.bytes, rnd);
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        fromTflite(bytes);
        outcome = 'read';
      } catch (e) {
        if (e instanceof FormatError) outcome = 'format';
        else if (e instanceof UnsupportedOpError) outcome = 'unsupported';
        else throw new Error(`case ${k} (${base.name}): ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      expect(ms, `case ${k} (${base.name}) took ${ms} ms`).toBeLessThan(1000);
      counts[outcome]++;
    }
    console.log(`fuzz: ${CASES_N} cases, ${counts.read} read, ${counts.format} FormatError, ${counts.unsupported} UnsupportedOpError, slowest ${slowest.toFixed(1)} ms`);
    expect(counts.format).toBeGreaterThan(CASES_N / 4);
  });

  it('FormatError carries the byte offset', () => {
    const bytes = toTflite(CASES[0].build());
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(0, bytes.length + 100, true);
    try {
      fromTflite(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).offset).toBeTypeOf('number');
    }
    for (const trunc of [0, 4, 7, 100]) expect(() => fromTflite(bytes.subarray(0, trunc))).toThrow(FormatError);
    const ident = bytes.slice();
    ident[4] = 0x58;
    expect(() => fromTflite(ident)).toThrow(/file identifier/);
  });
});
