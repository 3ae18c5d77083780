/**
 * Before export, IR-only constructs are rewritten into plain ONNX ops (still as an IR graph, so
 * the result can be verified and run by the reference interpreter):
 * - fused `activation` (Conv, ConvTranspose, Gemm, MatMul, Add) -> the activation node after the op;
 *   QLinearConv's quantized-domain clamp -> an integer Clip after it;
 * - `layout: 'NHWC'` -> Transpose to NCHW, the op, Transpose back;
 * - `Dequantize` -> DequantizeLinear with scale/zero-point initializers (affine params), or a Gather
 *   from the table (one lookup table for the whole tensor), or, for grouped lookup tables, the
 *   dequantized float initializer itself;
 * - `Gelu` below opset 20 -> its Erf (or Tanh) formula; `LayerNormalization` below 17 -> its
 *   ReduceMean/Sub/Mul/Sqrt/Div arithmetic;
 * - `requant: 'fixed-point'` has no ONNX form: dropped with a warning (ONNX rounds with float32);
 * - `Constant` nodes -> initializers (what the importer makes of ONNX Constant nodes).
 */
import {
  Graph,
  Tensor,
  affineAt,
  findSchema,
  inferTypes,
  quantRange,
  roundHalfEven,
  runNode,
  tensor,
  uniqueName,
  type Attrs,
  type AttrValue,
  type DType,
  type ErrorContext,
  type Node,
  type NodeInit,
  type QuantParams,
  type TensorType,
} from '@mo/ir';
import { reject, RuleRejection, type UnsupportedItem } from './errors.js';

/** A warning about something the export could not keep exactly. */
export type WarningHandler = (message: string, ctx: ErrorContext) => void;

const LAYOUT_OPS = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'QLinearConv']);

export interface LoweringResult {
  readonly graph: Graph;
  readonly problems: UnsupportedItem[];
  /** Initializers whose quant params the lowered graph states as DequantizeLinear inputs. */
  readonly expressedQuant: ReadonlySet<string>;
}

/** Rewrites IR-only constructs of `graph` for writing at `opset`. */
export function lowerForExport(graph: Graph, opset: number, warn: WarningHandler): LoweringResult {
  const types = inferTypes(graph);
  const typeOf = (n: string): TensorType | undefined => types.types.get(n);
  const valueOf = (n: string): Tensor | undefined => types.constants.get(n);
  const taken = graph.definedValues();
  for (const n of graph.nodes) taken.add(n.name);
  const fresh = (base: string) => {
    const n = uniqueName(base, taken);
    taken.add(n);
    return n;
  };
  const inits = new Map(graph.initializers);
  const expressedQuant = new Set<string>();
  const out: NodeInit[] = [];
  const problems: UnsupportedItem[] = [];
  const constant = (t: Tensor, base: string) => {
    const n = fresh(base);
    inits.set(n, t);
    return n;
  };

  for (const node of graph.nodes) {
    try {
      out.push(...lowerNode(node));
    } catch (e) {
      if (!(e instanceof RuleRejection)) throw e;
      problems.push({ node: node.name, op: node.op, reason: e.reason });
      out.push(node);
    }
  }

  function lowerNode(node: Node): NodeInit[] {
    let n: NodeInit & { attrs: Record<string, AttrValue> } = { ...node, attrs: { ...node.attrs } };
    const before: NodeInit[] = [];
    const after: NodeInit[] = [];
    const ctx = { node: node.name, op: node.op };

    if (n.op === 'Dequantize') return lowerDequantize(n);
    if (n.op === 'Constant') {
      // Written as an initializer, the form the importer gives Constant nodes too.
      inits.set(n.outputs[0], runNode(n as Node, [])[0]);
      return [];
    }
    if (n.op === 'Gelu' && opset < 20) return lowerGelu(n);
    if (n.op === 'LayerNormalization' && opset < 17) return lowerLayerNorm(n);

    if ((n.op === 'QLinearConv' || n.op === 'QLinearMatMul') && n.attrs.requant !== undefined) {
      if (n.attrs.requant === 'fixed-point') warn(`${n.op} requant 'fixed-point' has no ONNX form; written with ONNX's float requantization (results may differ by one step)`, ctx);
      delete n.attrs.requant;
    }

    // Chain written: [Transpose to NCHW] op [activation] [Transpose back to NHWC].
    const act = n.attrs.activation as string | undefined;
    const params = (n.attrs.activation_params as number[] | undefined) ?? [];
    delete n.attrs.activation;
    delete n.attrs.activation_params;
    // Ops with an ONNX spelling of the layout (ORT's channels_last) keep theirs for the op table.
    const layout = LAYOUT_OPS.has(n.op) ? n.attrs.layout : undefined;
    if (LAYOUT_OPS.has(n.op)) delete n.attrs.layout;
    const y = n.outputs[0];
    let target = y;
    if (layout === 'NHWC') {
      const r = typeOf(n.inputs[0])?.shape.length;
      if (r === undefined || r < 3) reject('NHWC layout needs an input of known rank >= 3');
      if (n.outputs[1] && graph.isUsed(n.outputs[1])) reject('MaxPool Indices in NHWC layout cannot be exported');
      const toFirst = [0, r - 1, ...Array.from({ length: r - 2 }, (_, k) => k + 1)];
      const toLast = [0, ...Array.from({ length: r - 2 }, (_, k) => k + 2), 1];
      const xt = fresh(`${n.inputs[0]}_nchw`);
      before.push({ name: fresh(`${node.name}/to_nchw`), op: 'Transpose', inputs: [n.inputs[0]], outputs: [xt], attrs: { perm: toFirst } });
      n = { ...n, inputs: [xt, ...n.inputs.slice(1)], outputs: n.outputs.slice(0, 1) };
      target = fresh(`${y}_nchw`);
      after.push({ name: fresh(`${node.name}/to_nhwc`), op: 'Transpose', inputs: [target], outputs: [y], attrs: { perm: toLast } });
    }
    if (act && act !== 'none') {
      const pre = fresh(`${y}_preact`);
      const dtype = typeOf(y)?.dtype ?? 'float32';
      after.unshift(n.op === 'QLinearConv' ? quantizedClamp(n, act, params, pre, target, dtype) : activationNode(`${node.name}/${act}`, act, params, pre, target, dtype));
      target = pre;
    }
    n = { ...n, outputs: [target, ...n.outputs.slice(1)] };
    return [...before, n, ...after];
  }

  function activationNode(name: string, act: string, p: readonly number[], x: string, y: string, dtype: DType): NodeInit {
    const scalar = (v: number, k: string) => constant(tensor(dtype, v, []), `${name}_${k}`);
    switch (act) {
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'HardSwish':
        return { name: fresh(name), op: act, inputs: [x], outputs: [y] };
      case 'Clip':
      {
        const inputs = [x, p.length && Number.isFinite(p[0]) ? scalar(p[0], 'min') : '', p.length && Number.isFinite(p[1]) ? scalar(p[1], 'max') : ''];
        while (!inputs[inputs.length - 1]) inputs.pop();
        return { name: fresh(name), op: 'Clip', inputs, outputs: [y] };
      }
      case 'LeakyRelu':
        return { name: fresh(name), op: 'LeakyRelu', inputs: [x], outputs: [y], attrs: p.length ? { alpha: p[0] } : {} };
      case 'HardSigmoid':
        return { name: fresh(name), op: 'HardSigmoid', inputs: [x], outputs: [y], attrs: p.length ? { alpha: p[0], beta: p[1] } : {} };
      default:
        return reject(`fused activation '${act}' cannot be exported`);
    }
  }

  /** QLinearConv's fused Relu/Clip is a clamp of the quantized output: an integer Clip. */
  function quantizedClamp(n: NodeInit, act: string, p: readonly number[], x: string, y: string, dtype: DType): NodeInit {
    const ys = valueOf(n.inputs[6]);
    const yz = valueOf(n.inputs[7]);
    if (!ys || !yz) reject('QLinearConv with a fused activation needs constant y_scale and y_zero_point to be exported');
    const { qmin, qmax } = quantRange(dtype);
    const s = ys.get(0);
    const z = yz.get(0);
    const q = (v: number) => (Number.isFinite(v) ? z + roundHalfEven(Math.fround(Math.fround(v) / Math.fround(s))) : v);
    const lo = act === 'Relu' ? Math.max(qmin, z) : Math.max(qmin, p.length ? q(p[0]) : qmin);
    const hi = act === 'Relu' ? qmax : Math.min(qmax, p.length ? q(p[1]) : qmax);
    const c = (v: number, k: string) => constant(tensor(dtype, v, []), `${n.name}_act_${k}`);
    return { name: fresh(`${n.name}/${act}`), op: 'Clip', inputs: [x, c(lo, 'lo'), c(hi, 'hi')], outputs: [y] };
  }

  function lowerDequantize(n: NodeInit & { attrs: Record<string, AttrValue> }): NodeInit[] {
    const x = n.inputs[0];
    const xt = typeOf(x);
    const q = xt?.quant;
    if (!xt || !q) reject('Dequantize input carries no quantization params');
    const to = ((n.attrs.to as DType | undefined) ?? 'float32') as DType;
    const y = n.outputs[0];
    const xInit = inits.get(x);
    if (q.kind === 'lut') {
      const storageBits = xt.dtype === 'int4' || xt.dtype === 'uint4' ? 4 : 8;
      const signed = xt.dtype === 'int4' || xt.dtype === 'int8';
      if (q.groupSize === 0 && (!signed || q.bits === storageBits)) {
        // Gather's negative indices count from the end: exactly the unsigned reading of signed storage.
        const table = constant(tensor(to, Array.from(q.tables), [q.tables.length]), `${y}_table`);
        const idx = fresh(`${x}_index`);
        return [
          { name: fresh(`${n.name}/index`), op: 'Cast', inputs: [x], outputs: [idx], attrs: { to: 'int32' } },
          { name: n.name, op: 'Gather', inputs: [table, idx], outputs: [y], attrs: { axis: 0 } },
        ];
      }
      if (!xInit) reject('grouped lookup-table dequantization of a computed value cannot be exported');
      inits.set(y, runNode(n as Node, [xInit.withQuant(q)])[0]);
      return [];
    }
    const { scales, zps, axis, blockSize } = affineTensors(q, xt);
    if (xInit) expressedQuant.add(x);
    const s = constant(scales, `${x}_scale`);
    const z = constant(tensor(xt.dtype, zps.values, zps.shape), `${x}_zero_point`);
    const attrs: Record<string, AttrValue> = {};
    if (axis !== undefined) attrs.axis = axis;
    if (blockSize) attrs.block_size = blockSize;
    if (to === 'float32') return [{ name: n.name, op: 'DequantizeLinear', inputs: [x, s, z], outputs: [y], attrs }];
    const f = fresh(`${y}_f32`);
    return [
      { name: n.name, op: 'DequantizeLinear', inputs: [x, s, z], outputs: [f], attrs },
      { name: fresh(`${n.name}/cast`), op: 'Cast', inputs: [f], outputs: [y], attrs: { to } },
    ];
  }

  function lowerGelu(n: NodeInit & { attrs: Record<string, AttrValue> }): NodeInit[] {
    const x = n.inputs[0];
    const dtype = typeOf(x)?.dtype ?? 'float32';
    const c = (v: number, k: string) => constant(tensor(dtype, v, []), `${n.name}_${k}`);
    const v = (k: string) => fresh(`${n.outputs[0]}_${k}`);
    const node = (op: string, inputs: string[], output: string, attrs: Attrs = {}): NodeInit => ({ name: fresh(`${n.name}/${op}`), op, inputs, outputs: [output], attrs });
    const [inner, t, onePlus, half, y] = [v('inner'), v('t'), v('one_plus'), v('half_x'), n.outputs[0]];
    const nodes: NodeInit[] = [];
    if ((n.attrs.approximate ?? 'none') === 'tanh') {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const [x3, cx3, sum] = [v('x3'), v('cx3'), v('sum')];
      nodes.push(node('Pow', [x, c(3, 'three')], x3), node('Mul', [x3, c(0.044715, 'k')], cx3), node('Add', [x, cx3], sum), node('Mul', [sum, c(Math.sqrt(2 / Math.PI), 'sqrt_2_pi')], inner), node('Tanh', [inner], t));
    } else {
      // 0.5 x (1 + erf(x / sqrt(2)))
      nodes.push(node('Div', [x, c(Math.SQRT2, 'sqrt2')], inner), node('Erf', [inner], t));
    }
    nodes.push(node('Add', [t, c(1, 'one')], onePlus), node('Mul', [x, c(0.5, 'half')], half), node('Mul', [half, onePlus], y));
    return nodes;
  }

  /** LayerNormalization (opset 17) as the ReduceMean/Sub/Mul/Sqrt/Div arithmetic it stands for. */
  function lowerLayerNorm(n: NodeInit & { attrs: Record<string, AttrValue> }): NodeInit[] {
    if (n.outputs.slice(1).some((o) => o && graph.isUsed(o))) reject('LayerNormalization Mean/InvStdDev outputs need opset >= 17');
    const [x, scale, bias] = n.inputs;
    const t = typeOf(x);
    if (!t) reject('LayerNormalization below opset 17 needs the input type');
    const rank = t.shape.length;
    const axis = (n.attrs.axis as number | undefined) ?? -1;
    const a = axis < 0 ? axis + rank : axis;
    const axes = constant(tensor('int64', Array.from({ length: rank - a }, (_, k) => BigInt(a + k)), [rank - a]), `${n.name}_axes`);
    const eps = constant(tensor(t.dtype, (n.attrs.epsilon as number | undefined) ?? 1e-5, []), `${n.name}_epsilon`);
    const v = (k: string) => fresh(`${n.outputs[0]}_${k}`);
    const node = (op: string, inputs: string[], output: string, attrs: Attrs = {}): NodeInit => ({ name: fresh(`${n.name}/${op}`), op, inputs, outputs: [output], attrs });
    const [mean, d, sq, variance, ve, std, normed] = ['mean', 'centered', 'squared', 'variance', 'variance_eps', 'std', 'normalized'].map(v);
    const nodes = [
      node('ReduceMean', [x, axes], mean, { keepdims: 1 }),
      node('Sub', [x, mean], d),
      node('Mul', [d, d], sq),
      node('ReduceMean', [sq, axes], variance, { keepdims: 1 }),
      node('Add', [variance, eps], ve),
      node('Sqrt', [ve], std),
      node('Div', [d, std], normed),
    ];
    if (bias) {
      const scaled = v('scaled');
      nodes.push(node('Mul', [normed, scale], scaled), node('Add', [scaled, bias], n.outputs[0]));
    } else nodes.push(node('Mul', [normed, scale], n.outputs[0]));
    return nodes;
  }

  const lowered = graph.with({ nodes: out, initializers: inits });
  return { graph: lowered, problems, expressedQuant };
}

/** Scale and zero-point tensors of affine params, shaped for DequantizeLinear. */
function affineTensors(q: Exclude<QuantParams, { kind: 'lut' }>, t: TensorType): { scales: Tensor; zps: { values: number[]; shape: number[] }; axis?: number; blockSize?: number } {
  if (q.kind === 'per-tensor') {
    const { scale, zeroPoint } = affineAt(q, 0);
    return { scales: tensor('float32', scale, []), zps: { values: [zeroPoint], shape: [] } };
  }
  const shape = t.shape as number[];
  const axis = q.axis < 0 ? q.axis + shape.length : q.axis;
  if (q.kind === 'per-axis') {
    return { scales: new Tensor('float32', [q.scales.length], Float32Array.from(q.scales)), zps: { values: Array.from(q.zeroPoints), shape: [q.zeroPoints.length] }, axis };
  }
  const sshape = shape.map((d, k) => (k === axis ? Math.ceil(d / q.blockSize) : d));
  return { scales: new Tensor('float32', sshape, Float32Array.from(q.scales)), zps: { values: Array.from(q.zeroPoints), shape: sshape }, axis, blockSize: q.blockSize };
}

/** True when the IR op accepts the attribute (used to strip IR defaults before writing). */
export function schemaHasAttr(op: string, attr: string): boolean {
  return !!findSchema(op)?.attrs?.[attr];
}
