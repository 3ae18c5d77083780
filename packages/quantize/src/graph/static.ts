/**
 * Static (full integer) quantization in QDQ form: every activation a quantized op reads or writes
 * gets a QuantizeLinear -> DequantizeLinear pair with params from calibration; weights become int8
 * (symmetric, [-127, 127], per channel) behind a DequantizeLinear; biases become int32 with scale
 * input scale x weight scale. Ops that only move data (reshapes, max pooling, concatenation) share
 * their input's params; Softmax, Sigmoid and Tanh outputs get fixed params (TFLite spec).
 */
import {
  Tensor,
  allocate,
  groupOf,
  hasTag,
  inferTypes,
  writeElement,
  type DType,
  type Graph,
  type Node,
  type NodeInit,
  type TensorType,
  type TypedArray,
} from '@mo/ir';
import type { RangeObserver } from '../calibrate/observers.js';
import type { Grid } from '../calibrate/ranges.js';
import { outputShift } from '../correct/bias.js';
import { round } from '../math.js';
import type { ActivationType, CalibrationMethod, Format } from '../options.js';
import type { ActivationParams, LayerReport } from '../report-types.js';
import { tensorBytes } from '../size.js';
import { quantizeAffine, quantizeBias, rangeToParams, type Granularity } from '../weights/affine.js';
import { Names, dropUnusedInitializers } from './edit.js';
import { constantOf, weightSlots, type WeightSlot } from './roles.js';

/** How a quantized node's output params are chosen. */
export type Rule = 'compute' | 'shared' | 'fixed';

/** Element-wise arithmetic that runs on quantized operands (QLinearAdd/QLinearMul exist). */
const QUANTIZED_ARITH = new Set(['Add', 'Sub', 'Mul']);

/** Fixed output ranges (TFLite: LOGISTIC and SOFTMAX 1/256, TANH 1/128). */
const FIXED_OUTPUT: Readonly<Record<string, 'unit' | 'signed-unit'>> = { Softmax: 'unit', Sigmoid: 'unit', Tanh: 'signed-unit' };

/** The quantization rule of a node, or undefined when it stays float. */
export function ruleOf(g: Graph, node: Node, format: Format): Rule | undefined {
  if (FIXED_OUTPUT[node.op]) return 'fixed';
  const group = groupOf(node.op);
  if (group === 'conv' || group === 'matmul') return node.op === 'Einsum' ? undefined : 'compute';
  if (group === 'pool') {
    if (node.op === 'MaxPool' || node.op === 'GlobalMaxPool') return node.outputs.filter(Boolean).length === 1 ? 'shared' : undefined;
    if (node.op === 'AveragePool') return format === 'tflite' ? 'shared' : 'compute';
    if (node.op === 'GlobalAveragePool') return 'compute';
    return undefined;
  }
  if (group === 'movement') return node.op === 'Dropout' ? undefined : 'shared';
  if (group === 'elementwise') {
    if (hasTag(node.op, 'activation')) return 'compute';
    if (QUANTIZED_ARITH.has(node.op) && node.inputs.every((i) => i && !constantOf(g, i))) return 'compute';
  }
  return undefined;
}

/** Float inputs of `node` that are activations (not constants): the ones QDQ quantizes. */
export function activationInputs(g: Graph, node: Node, types: ReadonlyMap<string, TensorType>): string[] {
  return node.inputs.filter((i) => i && !constantOf(g, i) && types.get(i)?.dtype === 'float32');
}

/** What is quantized and how, before any range is known. */
export interface StaticPlan {
  readonly rules: ReadonlyMap<string, Rule>;
  /** Activation values to quantize. */
  readonly values: ReadonlySet<string>;
  /** Union-find representative of each value (values sharing params). */
  readonly groupOf: ReadonlyMap<string, string>;
  /** Group representative -> fixed kind, when a member is a fixed output. */
  readonly fixed: ReadonlyMap<string, 'unit' | 'signed-unit'>;
  /** Nodes that stay float, with the reason. */
  readonly float: ReadonlyMap<string, string>;
  /** Values that are graph outputs. */
  readonly outputs: ReadonlySet<string>;
}

/** Decides which nodes and values are quantized. `keepFloat` names nodes that must stay float. */
export function planStatic(g: Graph, format: Format, keepFloat: ReadonlyMap<string, string>): StaticPlan {
  const types = inferTypes(g).types;
  const rules = new Map<string, Rule>();
  const float = new Map<string, string>();
  for (const n of g.nodes) {
    const why = keepFloat.get(n.name);
    const rule = ruleOf(g, n, format);
    const outputsFloat = n.outputs.filter(Boolean).every((o) => types.get(o)?.dtype === 'float32');
    if (why) float.set(n.name, why);
    else if (!rule) {
      if (groupOf(n.op) !== 'movement' && groupOf(n.op) !== 'shape' && groupOf(n.op) !== 'quant') float.set(n.name, `op ${n.op} has no quantized form here`);
    } else if (!outputsFloat || activationInputs(g, n, types).length === 0) {
      if (rule !== 'shared') float.set(n.name, `op ${n.op} has no float32 activation input`);
    } else rules.set(n.name, rule);
  }
  const values = new Set<string>();
  const parent = new Map<string, string>();
  const find = (v: string): string => {
    let r = v;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(v, r);
    return r;
  };
  const add = (v: string) => {
    if (!values.has(v)) {
      values.add(v);
      parent.set(v, v);
    }
  };
  const fixedOut = new Map<string, 'unit' | 'signed-unit'>();
  for (const n of g.nodes) {
    const rule = rules.get(n.name);
    if (!rule) continue;
    const ins = activationInputs(g, n, types);
    const outs = n.outputs.filter((o) => o && types.get(o)?.dtype === 'float32');
    for (const v of [...ins, ...outs]) add(v);
    if (rule === 'shared') for (const v of [...ins.slice(1), ...outs]) parent.set(find(v), find(ins[0]));
    if (rule === 'fixed') fixedOut.set(outs[0], FIXED_OUTPUT[n.op]);
  }
  const group = new Map<string, string>();
  for (const v of values) group.set(v, find(v));
  const fixed = new Map<string, 'unit' | 'signed-unit'>();
  for (const [v, kind] of fixedOut) fixed.set(group.get(v)!, kind);
  return { rules, values, groupOf: group, fixed, float, outputs: new Set(g.outputs.map((o) => o.name).filter((o) => values.has(o))) };
}

export interface StaticBuildOptions {
  readonly format: Format;
  readonly activationType: ActivationType;
  readonly symmetric: boolean;
  readonly perChannel: boolean;
  readonly method: CalibrationMethod;
  /** Per node, mean of its data input per channel (bias correction). */
  readonly inputMeans?: ReadonlyMap<string, ArrayLike<number>>;
}

/** Integer grid of activations. */
export function activationGrid(type: ActivationType, symmetric: boolean): Grid {
  return type === 'int8' ? { qmin: -128, qmax: 127, symmetric } : { qmin: 0, qmax: 255, symmetric };
}

/** Params of every quantized value, from the plan and the observers. */
export function activationParams(plan: StaticPlan, observers: ReadonlyMap<string, RangeObserver>, opts: StaticBuildOptions): Map<string, ActivationParams> {
  const grid = activationGrid(opts.activationType, opts.symmetric);
  const byGroup = new Map<string, string[]>();
  for (const [v, r] of plan.groupOf) byGroup.set(r, [...(byGroup.get(r) ?? []), v]);
  const out = new Map<string, ActivationParams>();
  for (const [rep, members] of byGroup) {
    let observed: [number, number] = [Infinity, -Infinity];
    let range: [number, number] = [Infinity, -Infinity];
    // Graph outputs keep their observed range whatever the method: clipping the largest logits
    // turns confident predictions into ties (entropy thresholds cost 2 points of top-1 that way on
    // a Fashion-MNIST CNN).
    const output = members.some((v) => plan.outputs.has(v));
    for (const v of members) {
      const o = observers.get(v);
      if (!o || o.samples === 0) continue;
      observed = [Math.min(observed[0], o.min), Math.max(observed[1], o.max)];
      const r = output ? o.range(grid, 'minmax') : o.range(grid, opts.method);
      range = [Math.min(range[0], r[0]), Math.max(range[1], r[1])];
    }
    if (observed[0] === Infinity) observed = [0, 0];
    if (range[0] === Infinity) range = [0, 0];
    const kind = plan.fixed.get(rep);
    let scale: number;
    let zeroPoint: number;
    let source: string = output && opts.method !== 'minmax' ? 'minmax (graph output)' : members.length > 1 ? `${opts.method}, shared` : opts.method;
    if (kind === 'unit') {
      scale = 1 / 256;
      zeroPoint = grid.qmin;
      range = [0, 255 / 256];
      source = 'fixed';
    } else if (kind === 'signed-unit') {
      scale = 1 / 128;
      zeroPoint = grid.qmin + 128;
      range = [-1, 127 / 128];
      source = 'fixed';
    } else {
      ({ scale, zeroPoint } = rangeToParams(range[0], range[1], grid.qmin, grid.qmax, grid.symmetric));
    }
    for (const v of members) out.set(v, { value: v, scale, zeroPoint, dtype: opts.activationType, range, observed, source });
  }
  return out;
}

function scalarOf(dtype: DType, v: number): Tensor {
  const data = allocate(dtype, 1) as TypedArray;
  writeElement(dtype, data, 0, v);
  return new Tensor(dtype, [], data);
}

/** How a quantized node's weight (and bias) are quantized by the static converter. */
export interface StaticWeightScheme {
  readonly weight: WeightSlot;
  readonly granularity: Granularity;
  readonly biasSlot: WeightSlot | undefined;
  /** Params of the data input (the bias scale is its scale x the weight scale). */
  readonly xParams: ActivationParams | undefined;
  readonly beta: number;
}

/**
 * The weight scheme of a quantized node: symmetric int8 per channel (or per tensor), the bias int32
 * when the data input is quantized and Gemm's beta is 1. Shared by the converter and by
 * quantization-aware training, so both use the same grids.
 */
export function staticWeightScheme(g: Graph, n: Node, plan: StaticPlan, params: ReadonlyMap<string, ActivationParams>, perChannel: boolean): StaticWeightScheme | undefined {
  if (!plan.rules.has(n.name)) return undefined;
  const slots = weightSlots(g, n);
  const weight = slots.find((s) => s.role === 'weight' && s.input === 1);
  if (!weight) return undefined;
  const granularity: Granularity = perChannel && weight.channelAxis !== undefined ? { kind: 'per-channel', axis: weight.channelAxis } : { kind: 'per-tensor' };
  const x = n.inputs[0];
  const xParams = x && plan.values.has(x) ? params.get(x) : undefined;
  const beta = n.op === 'Gemm' ? ((n.attrs.beta as number | undefined) ?? 1) : 1;
  return { weight, granularity, biasSlot: slots.find((s) => s.role === 'bias'), xParams, beta };
}

/** Bias scales: input scale x weight scale of each output channel. */
export function biasScales(inputScale: number, weightScales: ArrayLike<number>, channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => inputScale * weightScales[weightScales.length === 1 ? 0 : c % weightScales.length]);
}

export interface StaticBuildResult {
  readonly graph: Graph;
  readonly layers: LayerReport[];
  readonly params: ReadonlyMap<string, ActivationParams>;
}

/** Builds the QDQ graph of `plan` with activation params `params`. */
export function buildStatic(g: Graph, plan: StaticPlan, params: ReadonlyMap<string, ActivationParams>, opts: StaticBuildOptions): StaticBuildResult {
  const names = new Names(g);
  const inits = new Map(g.initializers);
  const layers: LayerReport[] = [];
  const nodes: NodeInit[] = [];
  const values = plan.values;

  // Graph outputs written by quantized nodes become the DequantizeLinear's output; the float
  // value gets a new name.
  const rename = new Map<string, string>();
  for (const o of g.outputs) {
    const p = g.producerOf(o.name);
    if (values.has(o.name) && p && plan.rules.has(p.name)) rename.set(o.name, names.fresh(`${o.name}_float`));
  }
  const ren = (v: string) => rename.get(v) ?? v;
  const dqOf = new Map<string, string>();
  for (const v of values) dqOf.set(v, rename.has(v) ? v : names.fresh(`${v}_dequantized`));

  const qdq = (v: string) => {
    const p = params.get(v)!;
    const base = v;
    const s = names.fresh(`${base}_scale`);
    const z = names.fresh(`${base}_zero_point`);
    inits.set(s, scalarOf('float32', p.scale));
    inits.set(z, scalarOf(p.dtype, p.zeroPoint));
    const q = names.fresh(`${base}_quantized`);
    nodes.push({ name: names.fresh(`${base}/QuantizeLinear`), op: 'QuantizeLinear', inputs: [ren(v), s, z], outputs: [q] });
    nodes.push({ name: names.fresh(`${base}/DequantizeLinear`), op: 'DequantizeLinear', inputs: [q, s, z], outputs: [dqOf.get(v)!] });
  };

  for (const i of g.inputs) if (values.has(i.name)) qdq(i.name);

  for (const n of g.topologicalOrder()) {
    const rule = plan.rules.get(n.name);
    if (!rule) {
      nodes.push({ ...n, inputs: n.inputs.map(ren), outputs: n.outputs.map(ren) });
      for (const o of n.outputs) if (o && values.has(o)) qdq(o);
      continue;
    }
    const inputs = n.inputs.map((i) => (i && values.has(i) ? dqOf.get(i)! : ren(i)));
    const inParams = n.inputs.filter((i) => i && values.has(i)).map((i) => params.get(i)!);
    const outValue = n.outputs[0];
    const outParams = outValue && values.has(outValue) ? params.get(outValue) : undefined;
    const scheme = staticWeightScheme(g, n, plan, params, opts.perChannel);
    if (scheme) {
      const { weight, granularity, biasSlot, xParams, beta } = scheme;
      const w = weight.tensor;
      const r = quantizeAffine(w, { bits: 8, symmetric: true, granularity });
      const qName = names.fresh(`${weight.name}_quantized`);
      const sName = names.fresh(`${weight.name}_scale`);
      inits.set(qName, r.q.withQuant(undefined));
      inits.set(sName, new Tensor('float32', granularity.kind === 'per-tensor' ? [] : [r.scales.length], Float32Array.from(r.scales)));
      const wDq = names.fresh(`${weight.name}_dequantized`);
      nodes.push({ name: names.fresh(`${weight.name}/DequantizeLinear`), op: 'DequantizeLinear', inputs: [qName, sName], outputs: [wDq], attrs: granularity.kind === 'per-channel' ? { axis: granularity.axis } : {} });
      inputs[1] = wDq;
      let before = tensorBytes(w);
      let after = tensorBytes(inits.get(qName)!) + tensorBytes(inits.get(sName)!);
      let biasCorrected = false;
      // The bias: corrected for the weight error's mean shift, then int32 with scale sx * sw[c].
      let bias = biasSlot?.tensor;
      const mean = opts.inputMeans?.get(n.name);
      if (mean && beta === 1 && (biasSlot || !n.inputs[2])) {
        const shift = outputShift(weight, r.dequantized, mean);
        if (shift) {
          const b = new Float32Array(shift.length);
          for (let c = 0; c < shift.length; c++) b[c] = (bias ? bias.get(c) : 0) - shift[c];
          bias = new Tensor('float32', [shift.length], b);
          biasCorrected = true;
        }
      }
      if (bias && xParams && beta === 1) {
        const qb = quantizeBias(bias, biasScales(xParams.scale, r.scales, bias.size));
        const base = biasSlot?.name ?? `${n.name}.bias`;
        const bq = names.fresh(`${base}_quantized`);
        const bs = names.fresh(`${base}_scale`);
        inits.set(bq, qb.q.withQuant(undefined));
        inits.set(bs, new Tensor('float32', [qb.scales.length], qb.scales));
        const bDq = names.fresh(`${base}_dequantized`);
        nodes.push({ name: names.fresh(`${base}/DequantizeLinear`), op: 'DequantizeLinear', inputs: [bq, bs], outputs: [bDq], attrs: { axis: 0 } });
        inputs[2] = bDq;
        before += biasSlot ? tensorBytes(biasSlot.tensor) : 0;
        after += tensorBytes(inits.get(bq)!) + tensorBytes(inits.get(bs)!);
      } else if (bias && biasCorrected) {
        const bName = names.fresh(`${biasSlot?.name ?? `${n.name}.bias`}_corrected`);
        inits.set(bName, bias);
        inputs[2] = bName;
      }
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of r.scales) [lo, hi] = [Math.min(lo, s), Math.max(hi, s)];
      layers.push({
        node: n.name,
        op: n.op,
        weight: weight.name,
        scheme: `int8 ${granularity.kind} symmetric`,
        dtype: 'int8',
        bits: 8,
        granularity: granularity.kind,
        symmetric: true,
        scaleRange: [lo, hi],
        weightError: { mse: r.error.mse, maxAbs: r.error.maxAbs, sqnrDb: round(r.error.sqnrDb, 2) },
        bytes: { before, after },
        inputs: inParams,
        ...(outParams ? { output: outParams } : {}),
        ...(biasCorrected ? { biasCorrected } : {}),
      });
    } else {
      layers.push({
        node: n.name,
        op: n.op,
        scheme: `${opts.activationType} activations`,
        dtype: opts.activationType,
        bits: 8,
        bytes: { before: 0, after: 0 },
        inputs: inParams,
        ...(outParams ? { output: outParams } : {}),
      });
    }
    nodes.push({ ...n, inputs, outputs: n.outputs.map(ren) });
    for (const o of n.outputs) if (o && values.has(o)) qdq(o);
  }
  // Weighted nodes kept float still appear in the report.
  for (const n of g.nodes) {
    const why = plan.float.get(n.name);
    const w = weightSlots(g, n).find((s) => s.role === 'weight');
    if (why && w) layers.push({ node: n.name, op: n.op, weight: w.name, scheme: 'float', dtype: 'float32', bits: 32, bytes: { before: tensorBytes(w.tensor), after: tensorBytes(w.tensor) }, reason: why });
  }
  const graph = dropUnusedInitializers(g.with({ nodes, initializers: inits }));
  return { graph, layers, params };
}
