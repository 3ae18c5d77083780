/**
 * What an exported file looks like, read with the generated flatbuffers code alone: the writer
 * rules runtimes rely on (alignment, sentinel buffer, both builtin code fields, no custom options
 * on builtins, op versions, metadata, signatures) and the integer layout rules (per-channel
 * weights on the right axis, int32 bias scales).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, Tensor } from '@mo/ir';
import { buildModel } from '@mo/models';
import { BUILTINS, BuiltinOperator, EXPORT_TABLE, TensorType, UnsupportedNodesError, builtinName, exportTflite, runtimeVersion, toTflite } from '../src/index.js';
import { inspect } from './helpers/inspect.js';
import { floatInput, seeded } from './helpers/data.js';
import { toQdq } from './helpers/qdq.js';
import { CASES } from './graphs.js';

const float = buildModel('mobilenetV2', { batch: 1, resolution: 32, batchNormInit: 'random', seed: 1 } as never);
const half = exportTflite(float, { weights: 'float16' });
const qdq = toQdq(buildModel('mobilenetV2', { batch: 1, resolution: 32, seed: 2 } as never), [{ input: floatInput(float, 0, 4) }]);
const int8 = exportTflite(qdq);

describe('writer rules', () => {
  const files = { float32: toTflite(float), float16: half.bytes, int8: int8.bytes, ...Object.fromEntries(CASES.map((c) => [c.name, toTflite(c.build())])) };
  for (const [name, bytes] of Object.entries(files)) {
    it(`${name}: TFL3, version 3, empty buffer 0, 16-byte aligned data, both code fields, no custom_options`, () => {
      const m = inspect(bytes);
      expect(m.identifier).toBe('TFL3');
      expect(m.version).toBe(3);
      expect(m.buffers[0].length).toBe(0);
      for (const b of m.buffers) if (b.length) expect(b.fileOffset % 16).toBe(0);
      for (const op of m.ops) {
        expect(op.deprecatedBuiltin).toBe(Math.min(op.builtin, 127));
        expect(op.customOptionsLength).toBe(0);
        expect(BUILTINS[builtinName(op.builtin) as keyof typeof BUILTINS]).toBeDefined();
      }
      // Every constant tensor's buffer holds exactly its data.
      for (const t of m.tensors) if (t.buffer) expect(m.buffers[t.buffer].length).toBeGreaterThan(0);
    });
    it(`${name}: signature with the graph's input/output names, min_runtime_version`, () => {
      const m = inspect(bytes);
      expect(m.signature?.key).toBe('serving_default');
      expect(m.signature?.inputs.map(([, i]) => i)).toEqual(m.inputs);
      expect(m.signature?.outputs.map(([, i]) => i)).toEqual(m.outputs);
      const rt = new TextDecoder().decode(m.metadata.get('min_runtime_version')).replace(/\0+$/, '');
      expect(rt).toMatch(/^\d+\.\d+\.\d+$/);
      for (const op of m.ops) {
        const need = runtimeVersion(builtinName(op.builtin) as never, op.version);
        expect(need).toBeDefined();
        const [a, b] = [need!.split('.').map(Number), rt.split('.').map(Number)];
        expect(a[0] * 1e6 + a[1] * 1e3 + a[2]).toBeLessThanOrEqual(b[0] * 1e6 + b[1] * 1e3 + b[2]);
      }
    });
  }

  it('signature names are the graph names', () => {
    const m = inspect(files.float32);
    expect(m.signature?.inputs.map(([n]) => n)).toEqual(['input']);
    expect(m.signature?.outputs.map(([n]) => n)).toEqual(['logits']);
    expect(m.tensors[m.inputs[0]].shape).toEqual([1, 32, 32, 3]);
  });
});

describe('op versions and integer layout', () => {
  it('float ops are version 1 (depthwise 2 when dilated, FC 5 with keep_num_dims)', () => {
    const m = inspect(toTflite(float));
    for (const op of m.ops) expect(op.version).toBe(1);
  });

  it('float16 weights: DEQUANTIZE version 3 from FLOAT16 constants', () => {
    const m = inspect(half.bytes);
    const deq = m.ops.filter((o) => o.builtin === BuiltinOperator.DEQUANTIZE);
    expect(deq.length).toBeGreaterThan(50);
    for (const d of deq) {
      expect(d.version).toBe(3);
      expect(m.tensors[d.inputs[0]].type).toBe(TensorType.FLOAT16);
      expect(m.tensors[d.outputs[0]].type).toBe(TensorType.FLOAT32);
    }
    expect(half.bytes.length).toBeLessThan(toTflite(float).length * 0.6);
  });

  it('int8: CONV_2D v3 weights per-channel on dim 0, DEPTHWISE_CONV_2D v3 on dim 3, FULLY_CONNECTED v4, int32 bias scale = input * weight', () => {
    const m = inspect(int8.bytes);
    const versions: Record<string, number> = { CONV_2D: 3, DEPTHWISE_CONV_2D: 3, FULLY_CONNECTED: 4, ADD: 2, MEAN: 2, PAD: 2, QUANTIZE: 1, DEQUANTIZE: 2, RESHAPE: 1 };
    const seen = new Set<string>();
    for (const op of m.ops) {
      const name = builtinName(op.builtin);
      seen.add(name);
      if (name in versions) expect(op.version, name).toBe(versions[name]);
      if (name !== 'CONV_2D' && name !== 'DEPTHWISE_CONV_2D' && name !== 'FULLY_CONNECTED') continue;
      const [x, w, b] = op.inputs.map((i) => m.tensors[i]);
      expect(x.type).toBe(TensorType.INT8);
      expect(w.type).toBe(TensorType.INT8);
      expect(b.type).toBe(TensorType.INT32);
      const dim = name === 'DEPTHWISE_CONV_2D' ? 3 : 0;
      const channels = w.shape[dim];
      expect(w.quantizedDimension).toBe(dim);
      expect(w.scale!.length).toBe(channels);
      expect(w.zeroPoint!.every((z) => z === 0)).toBe(true);
      expect(b.scale!.length).toBe(channels);
      b.scale!.forEach((s, c) => expect(s).toBeCloseTo(Math.fround(x.scale![0] * w.scale![c]), 12));
      if (name === 'DEPTHWISE_CONV_2D') expect(w.shape[0]).toBe(1);
    }
    for (const k of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'QUANTIZE', 'DEQUANTIZE']) expect(seen).toContain(k);
    // int8 activations keep per-tensor params; the only float tensors are the model's input and output.
    const floats = m.tensors.filter((t) => t.type === TensorType.FLOAT32);
    expect(floats.length).toBe(2);
  });
});

describe('grouped convolution', () => {
  it('CONV_2D version 6 (TFLite 2.9) with C/group filter input channels, float and int8', () => {
    const b = new GraphBuilder('grouped');
    const x = b.input('x', 'float32', [1, 8, 6, 6]);
    b.output(b.conv(x, new Tensor('float32', [12, 2, 3, 3], seeded(216, 5)), new Tensor('float32', [12], seeded(12, 6)), { group: 4, pads: [1, 1, 1, 1] }), 'y');
    const g = b.build();
    for (const bytes of [toTflite(g), toTflite(toQdq(g, [{ x: floatInput(g, 0, 1) }]))]) {
      const m = inspect(bytes);
      const conv = m.ops.find((o) => o.builtin === BuiltinOperator.CONV_2D)!;
      expect(conv.version).toBe(6);
      expect(m.tensors[conv.inputs[1]].shape).toEqual([12, 3, 3, 2]);
      const rt = new TextDecoder().decode(m.metadata.get('min_runtime_version')).replace(/\0+$/, '');
      expect(rt).toBe('2.9.0');
    }
  });
});

describe('int8 I/O (option io)', () => {
  it("io 'int8': int8 input and output tensors with the QDQ boundary params, no QUANTIZE / DEQUANTIZE, same computation", () => {
    const io = exportTflite(qdq, { io: 'int8' });
    const m = inspect(io.bytes);
    expect(m.ops.filter((o) => o.builtin === BuiltinOperator.QUANTIZE || o.builtin === BuiltinOperator.DEQUANTIZE)).toEqual([]);
    expect(m.tensors.filter((t) => t.type === TensorType.FLOAT32)).toEqual([]);
    const q = qdq.nodes.find((n) => n.op === 'QuantizeLinear' && n.inputs[0] === 'input')!;
    const dq = qdq.nodes.find((n) => n.op === 'DequantizeLinear' && n.outputs[0] === 'logits')!;
    const params = (n: typeof q) => [Math.fround(qdq.initializers.get(n.inputs[1])!.get(0)), qdq.initializers.get(n.inputs[2])!.get(0)];
    const [inT, outT] = [m.tensors[m.inputs[0]], m.tensors[m.outputs[0]]];
    expect([inT.type, outT.type]).toEqual([TensorType.INT8, TensorType.INT8]);
    expect([inT.scale![0], inT.zeroPoint![0]]).toEqual(params(q));
    expect([outT.scale![0], outT.zeroPoint![0]]).toEqual(params(dq));
    expect(m.signature?.inputs.map(([n]) => n)).toEqual(['input']);
    expect(m.signature?.outputs.map(([n]) => n)).toEqual(['logits']);
    // Everything between the boundaries is the float-I/O file's.
    const ops = (b: Uint8Array) => inspect(b).ops.map((o) => `${builtinName(o.builtin)} v${o.version}`).filter((k) => !/QUANTIZE/.test(k));
    expect(ops(io.bytes)).toEqual(ops(int8.bytes));
  });

  it("io 'int8' on a float graph lists the inputs and outputs it cannot make int8", () => {
    expect(() => exportTflite(float, { io: 'int8' })).toThrow(UnsupportedNodesError);
    try {
      exportTflite(float, { io: 'int8' });
    } catch (e) {
      expect((e as UnsupportedNodesError).nodes.map((n) => `${n.node} ${n.op}`)).toEqual(['input (graph input)', 'logits (graph output)']);
    }
    expect(() => exportTflite(qdq, { io: 'int4' as never })).toThrow(/option 'io' is 'int4'; expected 'float32' or 'int8'/);
  });
});

describe('unsupported graphs', () => {
  it('one UnsupportedNodesError lists every unsupported node', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [1, 4, 6, 6]);
    const g1 = b.unary('Gelu', x);
    const g2 = b.unary('Erf', b.op1('Conv', [g1, new Tensor('float32', [4, 2, 3, 3], seeded(72, 3))], { group: 2, pads: [1, 1, 1, 1] }));
    b.output(b.unary('Softplus', g2), 'y');
    try {
      toTflite(b.build());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedNodesError);
      const err = e as UnsupportedNodesError;
      expect(err.nodes.map((n) => n.op).sort()).toEqual(['Erf', 'Gelu', 'Softplus']);
      expect(err.message).toContain('no TFLite mapping for Erf');
      expect(err.message).toContain('no TFLite mapping for Gelu');
    }
  });

  it('the op table names only builtins with version rules', () => {
    for (const r of EXPORT_TABLE) for (const b of r.tflite) expect(BUILTINS[b], `${r.ir} -> ${b}`).toBeDefined();
  });
});
