/**
 * A second, independent consumer of the exported files: Arm NN's TFLite parser (Debian
 * python3-pyarmnn, Arm NN 22) with its CpuRef backend reads the float32 and int8 MobileNetV2
 * exports with its own flatbuffer reader and runs its own reference kernels; the outputs are
 * compared with mo's reference interpreter. tools/armnn-run.py runs in a subprocess because Arm NN
 * aborts the process on models it does not support (it asserts on per-channel FULLY_CONNECTED
 * weights, so the int8 model here has per-tensor classifier weights; convolutions stay per channel).
 * Arm NN 22.0 also miscomputes an int8 PAD in front of a DEPTHWISE_CONV_2D (measured: it pads with
 * 0 instead of the zero point, -128 after a ReLU6, when it folds the PAD into the convolution;
 * LiteRT.js and the reference agree on the same file). The int8 model is therefore 65x65: at
 * 65, 33, 17, 9, 5 every stride-2 layer's symmetric padding is TFLite's SAME, so no PAD is written.
 * Runs where `/usr/bin/python3 -c 'import pyarmnn'` works (CI installs it); says so otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type Graph } from '@mo/ir';
import { buildModel } from '@mo/models';
import { exportTflite } from '../src/index.js';
import { floatInput, relError, toNhwc } from './helpers/data.js';
import { toQdq } from './helpers/qdq.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../tools/armnn-run.py', import.meta.url));
const probe = spawnSync(PYTHON, ['-c', 'import pyarmnn'], { encoding: 'utf8' });
const hasArmnn = probe.status === 0;
if (!hasArmnn) console.warn(`armnn.test.ts: skipped, python3-pyarmnn is not importable (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); apt-get install python3-pyarmnn libarmnntfliteparser22 libarmnn-cpuref-backend22`);

const dir = mkdtempSync(join(tmpdir(), 'mo-armnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ArmnnResult {
  readonly output: Float32Array | Int8Array;
  readonly info: { input: { dtype: string; shape: number[] }; output: { dtype: string; shape: number[] } };
}

/** Runs `bytes` in Arm NN on `input` (already in the file's layout and type). */
function armnn(name: string, bytes: Uint8Array, input: Float32Array | Int8Array): ArmnnResult {
  const model = join(dir, `${name}.tflite`);
  const inFile = join(dir, `${name}.in`);
  const outFile = join(dir, `${name}.out`);
  writeFileSync(model, bytes);
  writeFileSync(inFile, new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  const r = spawnSync(PYTHON, [SCRIPT, model, inFile, outFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Arm NN failed (${r.signal ?? r.status}):\n${r.stderr.split('\n').filter((l) => !/Skipped I\w+Parser/.test(l)).join('\n')}`);
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const raw = readFileSync(outFile);
  const output = info.output.dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  return { output, info };
}

function nhwcInput(g: Graph, seed: number) {
  const x = floatInput(g, 0, seed);
  return { x, nhwc: toNhwc(x.data, x.shape) };
}

describe.skipIf(!hasArmnn)('Arm NN TFLite parser (python3-pyarmnn, CpuRef) runs the exports', () => {
  it('float32 MobileNetV2 (96x96): matches the reference within 1e-4', () => {
    const g = buildModel('mobilenetV2', { batch: 1, resolution: 96, batchNormInit: 'random', seed: 11 } as never);
    const { x, nhwc } = nhwcInput(g, 2);
    const { output, info } = armnn('mobilenet_v2_float', exportTflite(g).bytes, nhwc);
    expect(info.input).toMatchObject({ dtype: 'float32', shape: [1, 96, 96, 3] });
    const ref = run(g, { input: x }).logits.toFloat32();
    expect(relError(output, ref)).toBeLessThan(1e-4);
  }, 120_000);

  it('int8 MobileNetV2 (65x65, QUANTIZE/DEQUANTIZE at the boundaries): within 4 output steps of the QDQ reference', () => {
    const g = buildModel('mobilenetV2', { batch: 1, resolution: 65, seed: 3 } as never);
    const q = toQdq(g, [1, 2].map((s) => ({ input: floatInput(g, 0, s) })), { perTensorWeights: ['Gemm'] });
    const { x, nhwc } = nhwcInput(g, 9);
    const ex = exportTflite(q);
    expect([...ex.operators.keys()].some((k) => k.startsWith('PAD'))).toBe(false);
    const { output, info } = armnn('mobilenet_v2_int8', ex.bytes, nhwc);
    expect(info.output.dtype).toBe('float32');
    const dq = q.nodes.find((n) => n.op === 'DequantizeLinear' && n.outputs[0] === q.outputs[0].name)!;
    const step = q.initializers.get(dq.inputs[1])!.get(0);
    const ref = run(q, { input: x }).logits.toFloat32();
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(output[i] - ref[i]) / step);
    expect(worst).toBeLessThanOrEqual(4 + 1e-3);

    // The same model with int8 I/O (option io 'int8'): Arm NN takes the quantized image and returns
    // int8 logits, exactly the float-I/O file's logits before its DEQUANTIZE.
    const io = exportTflite(q, { io: 'int8' });
    expect([...io.operators.keys()].filter((k) => /^(DE)?QUANTIZE/.test(k))).toEqual([]);
    const qin = q.nodes.find((n) => n.op === 'QuantizeLinear' && n.inputs[0] === 'input')!;
    const [sx, zx] = [q.initializers.get(qin.inputs[1])!.get(0), q.initializers.get(qin.inputs[2])!.get(0)];
    const xq = Int8Array.from(nhwc, (v) => Math.max(-128, Math.min(127, Math.round(v / sx) + zx)));
    const r = armnn('mobilenet_v2_int8_io', io.bytes, xq);
    expect(r.info.input).toMatchObject({ dtype: 'int8', shape: [1, 65, 65, 3] });
    expect(r.info.output.dtype).toBe('int8');
    const zy = q.initializers.get(dq.inputs[2])!.get(0);
    const fromFloatIo = Array.from(output, (v) => Math.round(v / step) + zy);
    expect(Array.from(r.output)).toEqual(fromFloatIo);
  }, 120_000);
});
