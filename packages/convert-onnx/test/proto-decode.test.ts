/**
 * The hand-written wire decoder against onnx-proto's protobufjs decoder (the reference): every
 * field the decoder reads must come out equal on real and generated models, and malformed bytes
 * must fail with a FormatError that carries the byte offset.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '@mo/ir';
import { saveOnnx } from '../src/index.js';
import { decodeModel, int64ToBigInt, onnx } from '../src/proto.js';
import { makeModel, valueInfo } from './helpers.js';
import { mobileNetV2, smallCnn, transformerBlock } from './models.js';

/** Fields the decoder skips on purpose (never read by the importer); only their presence is compared. */
const PRESENCE_ONLY = new Set(['tp', 'typeProtos', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType']);
const SKIPPED = new Set(['trainingInfo', 'functions', 'quantizationAnnotation', 'denotation']);

const isLong = (v: unknown): v is { low: number; high: number } => !!v && typeof v === 'object' && 'low' in v && 'high' in v;

/** A plain, comparable form: int64 values as decimal strings, bytes as arrays; skipped fields dropped. */
function norm(v: unknown, key = ''): unknown {
  if (isLong(v)) return int64ToBigInt(v as never).toString();
  if (typeof v === 'number' && INT64_KEYS.has(key)) return BigInt(v).toString();
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return PRESENCE_ONLY.has(key) ? v.length : v.map((x) => norm(x, key));
  if (v && typeof v === 'object') {
    if (PRESENCE_ONLY.has(key)) return 'present';
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (SKIPPED.has(k) || x === undefined || x === null) continue;
      if (Array.isArray(x) && x.length === 0) continue;
      out[k] = norm(x, k);
    }
    return out;
  }
  return v;
}
const INT64_KEYS = new Set(['irVersion', 'modelVersion', 'version', 'i', 'ints', 'dims', 'int64Data', 'uint64Data', 'dimValue', 'begin', 'end']);

function testModels(): { name: string; bytes: Uint8Array }[] {
  const out = [
    { name: 'small-cnn', bytes: saveOnnx(smallCnn()) },
    { name: 'encoder-block', bytes: saveOnnx(transformerBlock({ seq: 4, dim: 16, heads: 2 })) },
    { name: 'mobilenet-v2-tiny', bytes: saveOnnx(mobileNetV2({ width: 0.35, size: 32, classes: 10 })) },
    {
      name: 'int64 extremes',
      bytes: makeModel({
        opset: 13,
        nodes: [{ op: 'Slice', inputs: ['x', 's', 'e'], outputs: ['y'], attrs: { axes: [-1, 0], big: { ints: [{ low: -1, high: 0x7fffffff }, { low: 0, high: -0x80000000 }, 2 ** 53 + 2] } } }],
        inputs: [valueInfo('x', 'float32', ['n', 4])],
        outputs: [valueInfo('y', 'float32', ['n', 2])],
        initializers: [
          { name: 's', dataType: 7, dims: [1], int64Data: [-3] },
          { name: 'e', dataType: 7, dims: [1], int64Data: [{ low: -1, high: 0x7fffffff }] as never },
        ],
      }),
    },
  ];
  const root = '/usr/share/libonnx-testdata/data';
  if (existsSync(root)) {
    for (const suite of readdirSync(root)) {
      for (const c of readdirSync(`${root}/${suite}`)) {
        const p = `${root}/${suite}/${c}/model.onnx`;
        if (existsSync(p)) out.push({ name: `${suite}/${c}`, bytes: new Uint8Array(readFileSync(p)) });
      }
    }
  }
  return out;
}

describe('ONNX wire decoder', () => {
  it('decodes every field it reads exactly as onnx-proto does', () => {
    const models = testModels();
    for (const m of models) {
      const want = norm(onnx.ModelProto.decode(m.bytes));
      const got = norm(decodeModel(m.bytes));
      expect(got, m.name).toEqual(want);
    }
    expect(models.length).toBeGreaterThan(3);
  });

  it('returns raw_data as views into the input, without copying', () => {
    const bytes = saveOnnx(smallCnn());
    const g = decodeModel(bytes).graph!;
    const raw = g.initializer!.find((t) => t.rawData?.length)!.rawData!;
    expect(raw.buffer).toBe(bytes.buffer);
  });

  it('reports the byte offset of a length that runs past its message', () => {
    const bytes = saveOnnx(smallCnn());
    // Field 7 (graph) with a length larger than what follows.
    const bad = new Uint8Array([0x08, 0x07, 0x3a, 0xff, 0xff, 0x03, 0x00]);
    for (const b of [bad, bytes.slice(0, bytes.length - 5)]) {
      try {
        decodeModel(b);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).offset).toBeTypeOf('number');
      }
    }
    expect(() => decodeModel(bad)).toThrow(/offset 3/);
  });

  it('rejects a known field with the wrong wire type, and absurd nesting', () => {
    // ModelProto.graph (7) as a varint.
    expect(() => decodeModel(new Uint8Array([0x38, 0x01]))).toThrow(FormatError);
    // GraphProto -> NodeProto -> AttributeProto.g -> GraphProto ... 201 messages deep.
    let inner = new Uint8Array(0);
    for (let i = 0; i < 201; i++) {
      const field = i % 3 === 0 ? 0x32 /* attribute.g (6) */ : i % 3 === 1 ? 0x2a /* node.attribute (5) */ : 0x0a; /* graph.node (1) */
      const len = encodeVarint(inner.length);
      const next = new Uint8Array(1 + len.length + inner.length);
      next.set([field], 0);
      next.set(len, 1);
      next.set(inner, 1 + len.length);
      inner = next;
    }
    expect(() => decodeModel(new Uint8Array([0x3a, ...encodeVarint(inner.length), ...inner]))).toThrow(/nested deeper/);
  });
});

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
