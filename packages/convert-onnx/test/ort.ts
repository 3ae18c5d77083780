/**
 * ONNX Runtime (onnxruntime-node, the real runtime) as an independent reference for exported
 * models. Telemetry is off; sessions run on one thread for deterministic timing.
 */
import { Tensor, tensor, type DType } from '@mo/ir';

process.env.ORT_DISABLE_TELEMETRY = '1';

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
async function load(): Promise<Ort> {
  ort ??= await import('onnxruntime-node');
  return ort;
}

const ORT_TYPES: Partial<Record<DType, string>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', float16: 'float16',
};

/** Runs ONNX bytes in ONNX Runtime; returns outputs as IR tensors. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const o = await load();
  const session = await o.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  const inputs: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [k, t] of Object.entries(feeds)) {
    const type = ORT_TYPES[t.dtype];
    if (!type) throw new Error(`dtype ${t.dtype} cannot be fed to ONNX Runtime`);
    inputs[k] = new o.Tensor(type as 'float32', t.data as Float32Array, [...t.shape]);
  }
  const out = await session.run(inputs);
  const result: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(out)) {
    const dtype = (Object.entries(ORT_TYPES).find(([, ot]) => ot === v.type)?.[0] ?? 'float32') as DType;
    const data = v.type === 'bool' ? Uint8Array.from(v.data as Uint8Array) : v.data;
    result[k] = new Tensor(dtype, [...v.dims], data as never);
  }
  await session.release();
  return result;
}

/** A float32 tensor of seeded uniform values in [lo, hi). */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return tensor('float32', v, shape);
}
