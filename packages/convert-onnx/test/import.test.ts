/**
 * Import: tensor encodings, types, metadata, external data, unsupported-node reports, and the
 * conversion of older opsets to the newest op forms (checked against hand-computed outputs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, UnsupportedOpError, run, tensor, type Tensor } from '@mo/ir';
import { UnsupportedNodesError, loadOnnx, parseOnnx, saveOnnx } from '../src/index.js';
import { floatTensor, int64Tensor, makeModel, valueInfo, type ModelIn, type NodeIn } from './helpers.js';

const f32 = (name: string, shape: (number | string)[]) => valueInfo(name, 'float32', shape);

/** A one-node model at `opset` with float32 input x of `shape`. */
function oneNode(opset: number, node: NodeIn, shape: number[], outShape: (number | string)[], extra: Partial<ModelIn> = {}): Uint8Array {
  return makeModel({ opset, nodes: [node], inputs: [f32('x', shape)], outputs: [f32('y', outShape)], ...extra });
}

function runY(bytes: Uint8Array, x: Tensor): Tensor {
  return run(parseOnnx(bytes), { x }).y;
}

const iota = (n: number, shape: number[]) => tensor('float32', Array.from({ length: n }, (_, i) => i), shape);

describe('tensor data', () => {
  const cases: [string, object, number[] | bigint[]][] = [
    ['float_data', { dataType: 1, dims: [3], floatData: [1.5, -2, 3.25] }, [1.5, -2, 3.25]],
    ['raw float32 (little-endian)', { dataType: 1, dims: [2], rawData: new Uint8Array(new Float32Array([0.5, -8]).buffer) }, [0.5, -8]],
    ['double_data', { dataType: 11, dims: [2], doubleData: [0.1, 1e300] }, [0.1, 1e300]],
    ['int64_data beyond 2^53', { dataType: 7, dims: [2], int64Data: [{ low: -1, high: 0x7fffffff }, { low: 1, high: 0x00200000 }] }, [9223372036854775807n, 9007199254740993n]],
    ['raw int64', { dataType: 7, dims: [2], rawData: new Uint8Array(new BigInt64Array([-5n, 2n ** 60n + 1n]).buffer) }, [-5n, 2n ** 60n + 1n]],
    ['float16 bits in int32_data', { dataType: 10, dims: [2], int32Data: [0x3c00, 0xc500] }, [1, -5]],
    ['raw float16', { dataType: 10, dims: [2], rawData: new Uint8Array(new Uint16Array([0x3800, 0x7bff]).buffer) }, [0.5, 65504]],
    ['bfloat16 bits in int32_data', { dataType: 16, dims: [2], int32Data: [0x3f80, 0xc040] }, [1, -3]],
    ['bool in int32_data', { dataType: 9, dims: [3], int32Data: [1, 0, 1] }, [1, 0, 1]],
    ['int8 in int32_data', { dataType: 3, dims: [2], int32Data: [-128, 127] }, [-128, 127]],
    ['uint64_data', { dataType: 13, dims: [1], uint64Data: [{ low: -1, high: -1 }] }, [18446744073709551615n]],
    ['uint32 in uint64_data', { dataType: 12, dims: [1], uint64Data: [4000000000] }, [4000000000]],
  ];
  it.each(cases)('%s', (_name, tp, expected) => {
    const bytes = makeModel({ opset: 13, nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['y'] }], inputs: [], outputs: [{ name: 'y' }], initializers: [{ name: 'c', ...tp }] });
    const y = run(parseOnnx(bytes), {}).y;
    if (typeof expected[0] === 'bigint') expect(Array.from(y.data as BigInt64Array)).toEqual(expected);
    else expect(y.toNumbers()).toEqual(expected);
  });

  it('rejects string tensors with a FormatError', () => {
    const bytes = makeModel({ opset: 13, nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['y'] }], inputs: [], outputs: [{ name: 'y' }], initializers: [{ name: 'c', dataType: 8, dims: [1], stringData: [new Uint8Array([65])] }] });
    expect(() => parseOnnx(bytes)).toThrow(FormatError);
    expect(() => parseOnnx(bytes)).toThrow(/string tensors/);
  });

  it('checks the data size against the dims before allocating', () => {
    const bytes = makeModel({ opset: 13, nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['y'] }], inputs: [], outputs: [{ name: 'y' }], initializers: [{ name: 'c', dataType: 1, dims: [100000, 100000], rawData: new Uint8Array(16) }] });
    expect(() => parseOnnx(bytes)).toThrow(FormatError);
  });

  it('reports the byte offset of truncated files', () => {
    const bytes = makeModel({ opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [f32('x', [2])], outputs: [f32('y', [2])] });
    try {
      parseOnnx(bytes.slice(0, bytes.length - 3));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).offset).toBeTypeOf('number');
    }
  });
});

describe('graph structure', () => {
  it('keeps symbolic dims, names unnamed ones, turns input+initializer into an initializer', () => {
    const bytes = makeModel({
      irVersion: 3,
      opset: 9,
      nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
      inputs: [f32('x', ['N', 3]), f32('b', [3])],
      outputs: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, {}] } } } }],
      initializers: [floatTensor('b', [3], [1, 2, 3])],
    });
    const g = parseOnnx(bytes);
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    expect(g.inputs[0].type.shape).toEqual(['N', 3]);
    expect(g.initializers.has('b')).toBe(true);
    expect(g.outputs[0].type.shape).toEqual(['N', 3]); // unnamed dim filled from inference
    expect(run(g, { x: tensor('float32', [[1, 1, 1]]) }).y.toNumbers()).toEqual([2, 3, 4]);
  });

  it('keeps value_info as value type annotations and metadata', () => {
    const bytes = makeModel({
      opset: 13,
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['h'] }, { op: 'Neg', inputs: ['h'], outputs: ['y'] }],
      inputs: [f32('x', [2, 'S'])],
      outputs: [f32('y', [2, 'S'])],
      valueInfo: [f32('h', [2, 'S'])],
      metadata: { author: 'me', license: 'MIT' },
    });
    const g = parseOnnx(bytes);
    expect(g.valueTypes.get('h')).toEqual({ dtype: 'float32', shape: [2, 'S'] });
    expect(g.metadata).toMatchObject({ producer: 'test', opset: 13, props: { author: 'me', license: 'MIT' } });
    const again = parseOnnx(saveOnnx(g));
    expect(again.metadata).toMatchObject({ producer: 'test', opset: 13, props: { author: 'me', license: 'MIT' } });
  });

  it('lists every unsupported node in one error', () => {
    const bytes = makeModel({
      opset: 13,
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'ok' },
        { op: 'FancyOp', inputs: ['a'], outputs: ['b'], name: 'fancy' },
        { op: 'Custom', inputs: ['b'], outputs: ['c'], name: 'custom', domain: 'org.example' },
        { op: 'Det', inputs: ['c'], outputs: ['y'], name: 'det' },
      ],
      inputs: [f32('x', [2, 2])],
      outputs: [f32('y', [])],
      extraOpsets: [{ domain: 'org.example', version: 1 }],
    });
    try {
      parseOnnx(bytes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedOpError);
      const items = (e as UnsupportedNodesError).items;
      expect(items.map((i) => i.node)).toEqual(['fancy', 'custom', 'det']);
      expect(items[1].reason).toMatch(/domain 'org.example'/);
    }
  });

  it('inlines If with a constant condition and selects runtime If branches with Where', () => {
    const branch = (v: number) => ({
      graph: { name: 'b', node: [{ opType: 'Constant', output: ['r'], attribute: [{ name: 'value', type: 4, t: floatTensor('', [2], [v, v + 1]) }] }], output: [f32('r', [2])] },
    });
    const model = (constant: boolean) =>
      makeModel({
        opset: 13,
        nodes: [{ op: 'If', inputs: ['c'], outputs: ['y'], attrs: { then_branch: branch(1), else_branch: branch(5) } }],
        inputs: constant ? [] : [valueInfo('c', 'bool', [])],
        outputs: [f32('y', [2])],
        initializers: constant ? [{ name: 'c', dataType: 9, dims: [], int32Data: [0] }] : [],
      });
    const folded = parseOnnx(model(true));
    expect(folded.nodes.some((n) => n.op === 'Where')).toBe(false);
    expect(run(folded, {}).y.toNumbers()).toEqual([5, 6]);
    const selected = parseOnnx(model(false));
    expect(run(selected, { c: tensor('bool', 1, []) }).y.toNumbers()).toEqual([1, 2]);
    expect(run(selected, { c: tensor('bool', 0, []) }).y.toNumbers()).toEqual([5, 6]);
  });
});

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mo-onnx-ext-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const extModel = (location: string, offset: number, length: number) =>
    makeModel({
      opset: 13,
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [f32('x', [4])],
      outputs: [f32('y', [4])],
      initializers: [{ name: 'w', dataType: 1, dims: [4], dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }] }],
    });
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array([...new Uint8Array(8), ...new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)]));

  it('reads tensors from a file next to the model', async () => {
    writeFileSync(join(dir, 'ok.onnx'), extModel('weights.bin', 8, 16));
    const g = await loadOnnx(join(dir, 'ok.onnx'));
    expect(run(g, { x: tensor('float32', [1, 1, 1, 1]) }).y.toNumbers()).toEqual([2, 3, 4, 5]);
  });

  it.each([
    ['a path leaving the folder', '../weights.bin', 8, 16, /leaves|relative|exist/],
    ['an absolute path', '/etc/passwd', 0, 16, /relative/],
    ['a range beyond the end of the file', 'weights.bin', 20, 16, /beyond the end/],
    ['a length that does not fit the dims', 'weights.bin', 8, 12, /expected 16/],
  ])('rejects %s', async (_what, location, offset, length, message) => {
    const p = join(dir, `bad-${offset}-${length}.onnx`);
    writeFileSync(p, extModel(location as string, offset as number, length as number));
    await expect(loadOnnx(p)).rejects.toThrow(message as RegExp);
    await expect(loadOnnx(p)).rejects.toBeInstanceOf(FormatError);
  });

  it('needs a path (or a reader) for external data', () => {
    expect(() => parseOnnx(extModel('weights.bin', 8, 16))).toThrow(/external/);
  });
});

describe('older opsets become the newest op forms', () => {
  it('Reshape-1: shape attribute', () => {
    const y = runY(oneNode(1, { op: 'Reshape', inputs: ['x'], outputs: ['y'], attrs: { shape: [3, 2] } }, [2, 3], [3, 2], { irVersion: 3 }), iota(6, [2, 3]));
    expect(y.shape).toEqual([3, 2]);
  });

  it('Squeeze-1 / Unsqueeze-1: axes attributes', () => {
    expect(runY(oneNode(1, { op: 'Squeeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [0, 2] } }, [1, 3, 1], [3]), iota(3, [1, 3, 1])).shape).toEqual([3]);
    expect(runY(oneNode(11, { op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [0, -1] } }, [3], [1, 3, 1]), iota(3, [3])).shape).toEqual([1, 3, 1]);
  });

  it('Split-2: split attribute', () => {
    const bytes = makeModel({ opset: 2, nodes: [{ op: 'Split', inputs: ['x'], outputs: ['y', 'z'], attrs: { axis: 0, split: [1, 3] } }], inputs: [f32('x', [4])], outputs: [f32('y', [1]), f32('z', [3])] });
    const out = run(parseOnnx(bytes), { x: iota(4, [4]) });
    expect(out.z.toNumbers()).toEqual([1, 2, 3]);
  });

  it('Clip-6: min/max attributes', () => {
    const y = runY(oneNode(6, { op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { float: -1 }, max: { float: 2 } } }, [4], [4]), tensor('float32', [-5, 0, 1.5, 9]));
    expect(y.toNumbers()).toEqual([-1, 0, 1.5, 2]);
  });

  it('Slice-1: attributes, with an INT64_MAX end', () => {
    const INT64_MAX = { low: -1, high: 0x7fffffff };
    const bytes = oneNode(1, { op: 'Slice', inputs: ['x'], outputs: ['y'], attrs: { starts: [1], ends: { ints: [INT64_MAX] }, axes: [1] } }, [2, 5], [2, 4], { irVersion: 3 });
    expect(runY(bytes, iota(10, [2, 5])).toNumbers()).toEqual([1, 2, 3, 4, 6, 7, 8, 9]);
  });

  it('Pad-2: pads and value attributes', () => {
    const y = runY(oneNode(2, { op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [0, 1, 0, 2], value: { float: 7 } } }, [1, 2], [1, 5]), tensor('float32', [[1, 2]]));
    expect(y.toNumbers()).toEqual([7, 1, 2, 7, 7]);
  });

  it('ReduceSum-1: axes attribute', () => {
    const y = runY(oneNode(1, { op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }, [2, 3], [2]), iota(6, [2, 3]));
    expect(y.toNumbers()).toEqual([3, 12]);
  });

  it('TopK-1: k attribute', () => {
    const bytes = makeModel({ opset: 1, nodes: [{ op: 'TopK', inputs: ['x'], outputs: ['y', 'i'], attrs: { k: 2 } }], inputs: [f32('x', [4])], outputs: [f32('y', [2]), valueInfo('i', 'int64', [2])] });
    const out = run(parseOnnx(bytes), { x: tensor('float32', [3, 9, 1, 5]) });
    expect(out.y.toNumbers()).toEqual([9, 5]);
    expect(out.i.toNumbers()).toEqual([1, 3]);
  });

  it('Upsample-9 (nearest, floor) and Resize-10', () => {
    const up = makeModel({ opset: 9, nodes: [{ op: 'Upsample', inputs: ['x', 's'], outputs: ['y'] }], inputs: [f32('x', [1, 1, 1, 2])], outputs: [f32('y', [1, 1, 1, 6])], initializers: [floatTensor('s', [4], [1, 1, 1, 3])] });
    expect(run(parseOnnx(up), { x: tensor('float32', [1, 2], [1, 1, 1, 2]) }).y.toNumbers()).toEqual([1, 1, 1, 2, 2, 2]);
    const rs = makeModel({ opset: 10, nodes: [{ op: 'Resize', inputs: ['x', 's'], outputs: ['y'] }], inputs: [f32('x', [1, 1, 1, 2])], outputs: [f32('y', [1, 1, 1, 6])], initializers: [floatTensor('s', [4], [1, 1, 1, 3])] });
    expect(run(parseOnnx(rs), { x: tensor('float32', [1, 2], [1, 1, 1, 2]) }).y.toNumbers()).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('Dropout-7 and BatchNormalization-6 (legacy attributes, unused training outputs)', () => {
    const bytes = makeModel({
      opset: 6,
      nodes: [
        { op: 'Dropout', inputs: ['x'], outputs: ['d', 'mask'], attrs: { ratio: { float: 0.3 }, is_test: 1 } },
        { op: 'BatchNormalization', inputs: ['d', 's', 'b', 'm', 'v'], outputs: ['y', 'rm', 'rv'], attrs: { is_test: 1, epsilon: { float: 0 }, spatial: 1 } },
      ],
      inputs: [f32('x', [1, 2, 1, 1])],
      outputs: [f32('y', [1, 2, 1, 1])],
      initializers: [floatTensor('s', [2], [2, 3]), floatTensor('b', [2], [1, 1]), floatTensor('m', [2], [0, 1]), floatTensor('v', [2], [4, 1])],
    });
    // (x - mean) / sqrt(var) * scale + bias
    expect(run(parseOnnx(bytes), { x: tensor('float32', [4, 5], [1, 2, 1, 1]) }).y.toNumbers()).toEqual([5, 13]);
  });

  it('Softmax-1 over a non-last axis: the 2-D coercion (Flatten + Softmax + Reshape)', () => {
    const x = tensor('float32', [1, 2, 3, 4, 0, 0, 0, 0], [2, 2, 2]);
    const y = runY(oneNode(1, { op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }, [2, 2, 2], [2, 2, 2]), x);
    // Batch 0 normalises over all four values 1..4 together, batch 1 over four zeros.
    const e = [1, 2, 3, 4].map(Math.exp);
    const s = e.reduce((a, b) => a + b);
    e.forEach((v, i) => expect(y.get(i)).toBeCloseTo(v / s, 6));
    for (let i = 4; i < 8; i++) expect(y.get(i)).toBeCloseTo(0.25, 6);
  });

  it('Add-6 legacy broadcasting with an axis', () => {
    const bytes = makeModel({ opset: 6, nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'], attrs: { broadcast: 1, axis: 1 } }], inputs: [f32('x', [1, 2, 2])], outputs: [f32('y', [1, 2, 2])], initializers: [floatTensor('b', [2], [10, 20])] });
    expect(run(parseOnnx(bytes), { x: tensor('float32', [0, 0, 0, 0], [1, 2, 2]) }).y.toNumbers()).toEqual([10, 10, 20, 20]);
  });

  it('Concat-1 without axis (default 1) and Cast-1 with a type name', () => {
    const bytes = makeModel({
      opset: 1,
      nodes: [
        { op: 'Concat', inputs: ['x', 'x'], outputs: ['c'] },
        { op: 'Cast', inputs: ['c'], outputs: ['y'], attrs: { to: 'INT32' } },
      ],
      inputs: [f32('x', [1, 2])],
      outputs: [valueInfo('y', 'int32', [1, 4])],
    });
    const y = run(parseOnnx(bytes), { x: tensor('float32', [[1.7, -2.2]]) }).y;
    expect(y.dtype).toBe('int32');
    expect(y.toNumbers()).toEqual([1, -2, 1, -2]);
  });

  it('Gemm-6 with the broadcast attribute', () => {
    const bytes = makeModel({ opset: 6, nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'c'], outputs: ['y'], attrs: { broadcast: 1, transB: 1 } }], inputs: [f32('x', [1, 2])], outputs: [f32('y', [1, 2])], initializers: [floatTensor('w', [2, 2], [1, 0, 0, 1]), floatTensor('c', [2], [5, 6])] });
    expect(run(parseOnnx(bytes), { x: tensor('float32', [[1, 2]]) }).y.toNumbers()).toEqual([6, 8]);
  });
});

describe('quantized models', () => {
  it('DequantizeLinear of an integer initializer becomes Dequantize with the params in the type', () => {
    const bytes = makeModel({
      opset: 13,
      nodes: [{ op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['w'], attrs: { axis: 0 } }, { op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [f32('x', [1, 2])],
      outputs: [f32('y', [1, 2])],
      initializers: [{ name: 'q', dataType: 3, dims: [2, 2], int32Data: [10, -10, 4, 2] }, floatTensor('s', [2], [0.5, 0.25]), { name: 'z', dataType: 3, dims: [2], int32Data: [0, 2] }],
    });
    const g = parseOnnx(bytes);
    expect(g.nodes.map((n) => n.op)).toEqual(['Dequantize', 'MatMul']);
    expect(g.initializers.get('q')!.quant).toMatchObject({ kind: 'per-axis', axis: 0 });
    // w = [[5, -5], [0.5, 0]]
    expect(run(g, { x: tensor('float32', [[1, 2]]) }).y.toNumbers()).toEqual([6, -5]);
  });

  it('QuantizeLinear outputs carry their quant params', () => {
    const bytes = makeModel({
      opset: 13,
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'] }],
      inputs: [f32('x', [3])],
      outputs: [valueInfo('y', 'uint8', [3])],
      initializers: [floatTensor('s', [], [0.5]), { name: 'z', dataType: 2, dims: [], int32Data: [10] }],
    });
    const g = parseOnnx(bytes);
    expect(run(g, { x: tensor('float32', [1, -1, 200]) }).y.toNumbers()).toEqual([12, 8, 255]);
    expect(g.outputs[0].type.quant).toMatchObject({ kind: 'per-tensor', scale: 0.5, zeroPoint: 10 });
  });

  it('reads int64 initializers given as int64_data for shapes', () => {
    const bytes = makeModel({ opset: 13, nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }], inputs: [f32('x', [2, 3])], outputs: [f32('y', [3, 2])], initializers: [int64Tensor('shape', [2], [3, -1])] });
    expect(runY(bytes, iota(6, [2, 3])).shape).toEqual([3, 2]);
  });
});
