/**
 * Graph statistics and text forms: op counts, parameters, bytes, MACs, and a readable dump.
 */
import { MoError } from '../core/errors.js';
import { isStaticShape, formatShape } from '../core/shape.js';
import { findSchema, resolveAttrs } from '../ops/schema.js';
import { inferContext, inferTypes } from '../verify/infer.js';
import type { Graph } from './graph.js';
import type { TensorType } from './types.js';

export interface GraphStats {
  readonly nodes: number;
  /** Node count per op, most frequent first. */
  readonly opCounts: ReadonlyArray<readonly [string, number]>;
  /** Elements in initializers (weights, biases, constants). */
  readonly parameters: number;
  /** Bytes of initializer storage. */
  readonly parameterBytes: number;
  /** Multiply-accumulates of one run; undefined when some shapes are symbolic. */
  readonly macs: number | undefined;
  /** Ops whose MACs could not be counted (symbolic shapes). */
  readonly uncountedMacs: readonly string[];
  /** Values given to the inputs' symbolic dims to count MACs (e.g. { batch: 1 }). */
  readonly assumedDims: Readonly<Record<string, number>>;
}

/**
 * Counts ops, parameters, bytes and MACs. Symbolic input dims are bound to `bind[name]`, or 1,
 * for counting MACs (so a dynamic batch gives MACs per item); `assumedDims` says which were bound.
 */
export function graphStats(graph: Graph, bind: Readonly<Record<string, number>> = {}): GraphStats {
  const assumed: Record<string, number> = {};
  const inputs = graph.inputs.map((i) => ({
    ...i,
    type: {
      ...i.type,
      shape: i.type.shape.map((d) => {
        if (typeof d === 'number') return d;
        assumed[d] = bind[d] ?? 1;
        return assumed[d];
      }),
    },
  }));
  const counted = Object.keys(assumed).length ? graph.with({ inputs }) : graph;
  const counts = new Map<string, number>();
  for (const n of graph.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  let parameters = 0;
  let bytes = 0;
  for (const t of graph.initializers.values()) {
    parameters += t.size;
    bytes += t.byteLength;
  }
  let macs: number | undefined = 0;
  const uncounted = new Set<string>();
  let types: ReadonlyMap<string, TensorType> | undefined;
  let constants: ReadonlyMap<string, unknown> | undefined;
  try {
    const r = inferTypes(counted);
    types = r.types;
    constants = r.constants;
  } catch (e) {
    if (!(e instanceof MoError)) throw e;
  }
  for (const n of graph.nodes) {
    const schema = findSchema(n.op);
    if (!schema?.macs) continue;
    if (!types) { macs = undefined; uncounted.add(n.op); continue; }
    const ins = n.inputs.map((i) => (i ? types!.get(i) : undefined));
    const outs = n.outputs.map((o) => types!.get(o)).filter((t): t is TensorType => !!t);
    if (![...ins, ...outs].every((t) => !t || isStaticShape(t.shape))) {
      uncounted.add(n.op);
      macs = undefined;
      continue;
    }
    resolveAttrs(schema, n);
    const ctx = inferContext(n, ins, (i) => (n.inputs[i] ? (constants!.get(n.inputs[i]) as never) : undefined), { n: 0 });
    if (macs !== undefined) macs += schema.macs(ctx, outs);
  }
  return {
    nodes: graph.nodes.length,
    opCounts: [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    parameters,
    parameterBytes: bytes,
    macs,
    uncountedMacs: [...uncounted],
    assumedDims: assumed,
  };
}

const human = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(2)} K` : `${n}`;
const humanBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(2)} KiB` : `${n} B`);

const assumedText = (dims: Readonly<Record<string, number>>) => {
  const e = Object.entries(dims);
  return e.length ? ` with ${e.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
};

/**
 * A short report: inputs, outputs, op counts, parameters, bytes and MACs.
 *
 * @example
 * ```ts
 * console.log(summary(graph));
 * ```
 */
export function summary(graph: Graph): string {
  const s = graphStats(graph);
  const io = (vs: Graph['inputs']) => vs.map((v) => `${v.name}: ${v.type.dtype}${formatShape(v.type.shape)}`).join(', ');
  const lines = [
    `graph '${graph.name}'${graph.metadata.opset ? ` (opset ${graph.metadata.opset})` : ''}`,
    `  inputs:     ${io(graph.inputs)}`,
    `  outputs:    ${io(graph.outputs)}`,
    `  nodes:      ${s.nodes}`,
    `  ops:        ${s.opCounts.map(([op, c]) => `${op} x${c}`).join(', ') || '(none)'}`,
    `  parameters: ${human(s.parameters)} (${s.parameters})`,
    `  bytes:      ${humanBytes(s.parameterBytes)} (${s.parameterBytes})`,
    `  MACs:       ${s.macs === undefined ? `unknown (symbolic shapes in ${s.uncountedMacs.join(', ')})` : `${human(s.macs)} (${s.macs})${assumedText(s.assumedDims)}`}`,
  ];
  return lines.join('\n');
}

/** A readable text dump of the graph, one node per line with inferred types when available. */
export function formatGraph(graph: Graph): string {
  let types: ReadonlyMap<string, TensorType> | undefined;
  try {
    types = inferTypes(graph).types;
  } catch (e) {
    if (!(e instanceof MoError)) throw e;
  }
  const ty = (v: string) => {
    const t = types?.get(v);
    return t ? `${v}: ${t.dtype}${formatShape(t.shape)}` : v;
  };
  const lines = [`graph ${graph.name}(${graph.inputs.map((i) => ty(i.name)).join(', ')}) {`];
  for (const [k, t] of graph.initializers) lines.push(`  const ${k}: ${t.dtype}${formatShape(t.shape)}${t.quant ? ` quant=${t.quant.kind}` : ''}`);
  for (const n of graph.topologicalOrder()) {
    const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${typeof v === 'object' && !Array.isArray(v) ? 'tensor' : JSON.stringify(v)}`);
    lines.push(`  ${n.outputs.map(ty).join(', ')} = ${n.op}(${n.inputs.map((i) => i || '_').join(', ')})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  # ${n.name}`);
  }
  lines.push(`  return ${graph.outputs.map((o) => o.name).join(', ')}`, '}');
  return lines.join('\n');
}
