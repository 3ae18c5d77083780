/**
 * Weight-only quantization in ONNX is DequantizeLinear on an integer initializer. In the IR the
 * same thing is a quantized initializer (quant params in its type) feeding `Dequantize`: the
 * importer folds the ONNX form into the IR form when the initializer has no other reader, so that
 * compress stages and kernels see one representation (and save -> load round trips are exact).
 */
import { MoError, Tensor, checkQuantParams, perAxis, perBlock, perTensor, quantEqual, tensor, type NodeInit, type QuantParams } from '@mo/ir';

/**
 * Rewrites eligible DequantizeLinear nodes (and the Cast + Gather form the exporter writes for a
 * lookup table) in place, attaching the params to the initializers.
 */
export function foldDequantizeLinear(nodes: NodeInit[], initializers: Map<string, Tensor>, readers: ReadonlyMap<string, number>, graphInputs: ReadonlySet<string>): void {
  foldLookupGather(nodes, initializers, readers);
  nodes.forEach((n, i) => {
    if (n.op !== 'DequantizeLinear' || n.attrs?.output_dtype !== undefined) return;
    const [xn, sn, zn] = n.inputs;
    const x = initializers.get(xn);
    const s = sn ? initializers.get(sn) : undefined;
    const z = zn ? initializers.get(zn) : undefined;
    if (!x || !s || (zn && !z) || graphInputs.has(xn) || (readers.get(xn) ?? 0) !== 1) return;
    if (s.dtype !== 'float32' || (z && z.dtype !== x.dtype)) return;
    const q = quantOf(x, s, z, (n.attrs?.axis as number | undefined) ?? 1, (n.attrs?.block_size as number | undefined) ?? 0);
    if (!q || (x.quant && !quantEqual(x.quant, q))) return;
    initializers.set(xn, x.withQuant(q));
    nodes[i] = { name: n.name, op: 'Dequantize', inputs: [xn], outputs: [...n.outputs], attrs: { to: 'float32' }, ...(n.doc ? { doc: n.doc } : {}) };
  });
}

function quantOf(x: Tensor, s: Tensor, z: Tensor | undefined, axis: number, blockSize: number): QuantParams | undefined {
  try {
    const scales = s.toNumbers();
    const zps = z ? z.toNumbers() : scales.map(() => 0);
    let q: QuantParams;
    const a = axis < 0 ? axis + x.rank : axis;
    if (blockSize > 0) q = perBlock(a, blockSize, scales, zps);
    else if (s.size === 1 && s.rank <= 1) q = perTensor(scales[0], zps[0]);
    else if (s.rank === 1) q = perAxis(a, scales, zps);
    else return undefined;
    checkQuantParams(q, x.dtype, x.shape);
    return q;
  } catch (e) {
    if (e instanceof MoError) return undefined;
    throw e;
  }
}

/**
 * Gather(table, Cast(x, int32)) where x is an initializer carrying lookup-table params (from the
 * `mo.quant` metadata) whose table is exactly `table`: the exporter's form of Dequantize.
 */
function foldLookupGather(nodes: NodeInit[], initializers: Map<string, Tensor>, readers: ReadonlyMap<string, number>): void {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const drop = new Set<number>();
  nodes.forEach((n, i) => {
    if (n.op !== 'Gather' || ((n.attrs?.axis as number | undefined) ?? 0) !== 0) return;
    const table = initializers.get(n.inputs[0]);
    const ci = producer.get(n.inputs[1]);
    if (!table || ci === undefined || (readers.get(n.inputs[1]) ?? 0) !== 1) return;
    const cast = nodes[ci];
    if (cast.op !== 'Cast' || cast.attrs?.to !== 'int32') return;
    const x = initializers.get(cast.inputs[0]);
    const q = x?.quant;
    if (!x || q?.kind !== 'lut' || q.groupSize !== 0 || (table.dtype !== 'float32' && table.dtype !== 'float16')) return;
    if (table.rank !== 1 || table.size !== q.tables.length) return;
    const to = table.dtype;
    const rounded = table.toNumbers();
    const expect = Array.from(q.tables, (v) => roundTo(to, v));
    if (rounded.some((v, k) => !Object.is(v, expect[k]))) return;
    nodes[i] = { name: n.name, op: 'Dequantize', inputs: [cast.inputs[0]], outputs: [...n.outputs], attrs: { to: table.dtype }, ...(n.doc ? { doc: n.doc } : {}) };
    drop.add(ci);
  });
  const kept = nodes.filter((_, i) => !drop.has(i));
  nodes.length = 0;
  nodes.push(...kept);
}

function roundTo(dtype: 'float32' | 'float16', v: number): number {
  return tensor(dtype, v, []).get(0);
}
