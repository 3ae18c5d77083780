/**
 * IR Graph -> ONNX bytes. IR-only constructs are lowered first (export-lowering.ts); then each
 * node walks its op-table rule down to the target opset (attributes that were inputs become
 * attributes again, ...). When some node cannot be written at the opset the graph asks for, the
 * exporter raises the opset to the lowest one that expresses every node (unless the caller fixed
 * the opset, in which case it reports every such node at once).
 */
import {
  ArgumentError,
  throwIfAborted,
  findSchema,
  inferTypes,
  uniqueName,
  type AttrType,
  type AttrValue,
  type DType,
  type Graph,
  type Node,
  type QuantParams,
  type Tensor,
} from '@mo/ir';
import { encodeAttr, guessAttrType } from './attributes.js';
import { dtypeToOnnx } from './dtypes.js';
import { RuleRejection, UnsupportedNodesError, type UnsupportedItem } from './errors.js';
import { lowerForExport, type WarningHandler } from './export-lowering.js';
import { findExportRule } from './op-index.js';
import { encodeModel, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { QUANT_META_KEY, encodeQuantMeta } from './quant-meta.js';
import type { RewriteCx, WorkNode } from './rules.js';
import { tensorToProto } from './tensor-encode.js';
import { TypeTracker } from './type-tracker.js';
import { typeToProto } from './value-types.js';

/** Opset written when neither the caller nor the graph says (the newest of IR version 8). */
export const DEFAULT_EXPORT_OPSET = 18;
/** Oldest opset the exporter writes (numpy broadcasting everywhere). */
export const MIN_EXPORT_OPSET = 7;
/** Newest opset the op table describes. */
export const MAX_EXPORT_OPSET = 21;

/** Options of `saveOnnx`. */
export interface SaveOptions {
  /**
   * Default-domain opset to write. Default: the graph's opset (metadata.opset) capped at 18, raised
   * automatically when a node needs a newer one. When given, it is used as is and nodes that cannot
   * be written at it are reported together in an UnsupportedNodesError.
   */
  opset?: number;
  /** Write value_info (inferred types) for intermediate values (default true). */
  valueInfo?: boolean;
  /** Called for anything written inexactly (e.g. TFLite fixed-point requantization). */
  onWarning?: WarningHandler;
  /** Stops a long export between nodes (AbortError). */
  signal?: AbortSignal;
}

/**
 * The minimum ONNX IR version for an opset (and for 4-bit tensors).
 *
 * @example
 * ```ts
 * irVersionFor(18); // 8
 * ```
 */
export function irVersionFor(opset: number, uses4bit = false): number {
  const v = opset <= 8 ? 3 : opset === 9 ? 4 : opset === 10 ? 5 : opset === 11 ? 6 : opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
  return uses4bit ? Math.max(v, 10) : v;
}

const MS = 'com.microsoft';

/**
 * Serializes a graph as an ONNX model.
 *
 * @throws UnsupportedNodesError listing every node without an ONNX form at the chosen opset.
 *
 * @example
 * ```ts
 * import { GraphBuilder } from '@mo/ir';
 * import { saveOnnx } from '@mo/convert-onnx';
 * const b = new GraphBuilder('tiny');
 * b.output(b.relu(b.input('x', 'float32', [1, 4])), 'y');
 * const bytes = saveOnnx(b.build()); // a Uint8Array holding model.onnx
 * ```
 */
export function saveOnnx(graph: Graph, options: SaveOptions = {}): Uint8Array {
  return encodeModel(exportModel(graph, options));
}

/**
 * Like `saveOnnx`, but returns the ModelProto object (onnx-proto's plain message) instead of bytes,
 * for callers that inspect or extend it before serializing.
 *
 * @example
 * ```ts
 * const model = exportModel(graph, { opset: 13 });
 * console.log(model.graph!.node!.map((n) => n.opType));
 * ```
 */
export function exportModel(graph: Graph, options: SaveOptions = {}): ModelProto {
  const explicit = options.opset !== undefined;
  if (explicit && !(Number.isInteger(options.opset) && options.opset! >= MIN_EXPORT_OPSET && options.opset! <= MAX_EXPORT_OPSET)) {
    throw new ArgumentError(`opset must be an integer in ${MIN_EXPORT_OPSET}..${MAX_EXPORT_OPSET}, got ${options.opset}`);
  }
  let opset = explicit ? options.opset! : Math.min(Math.max(graph.metadata.opset ?? DEFAULT_EXPORT_OPSET, MIN_EXPORT_OPSET), DEFAULT_EXPORT_OPSET);
  const warnings: [string, object][] = [];
  for (;;) {
    warnings.length = 0;
    const lowered = lowerForExport(graph, opset, (m, c) => warnings.push([m, c]));
    const result = writeNodes(lowered.graph, opset, options.signal);
    const problems: Problem[] = [...lowered.problems, ...result.problems];
    if (!problems.length) {
      for (const [m, c] of warnings) options.onWarning?.(m, c);
      return assemble(graph, lowered.graph, result, opset, options, lowered.expressedQuant);
    }
    const needed = Math.max(...problems.map((p) => p.needs ?? Infinity));
    if (!explicit && Number.isFinite(needed) && needed > opset && needed <= MAX_EXPORT_OPSET) {
      opset = needed;
      continue;
    }
    throw new UnsupportedNodesError(problems.map(({ needs: _n, ...p }) => p), 'node', {}, `for ONNX opset ${opset}`);
  }
}

interface Problem extends UnsupportedItem {
  /** The opset at which the node could be written. */
  needs?: number;
}

interface WriteResult {
  readonly nodes: NodeProto[];
  readonly initializers: Map<string, Tensor>;
  readonly tracker: TypeTracker;
  readonly problems: Problem[];
  readonly domains: Set<string>;
}

/** Converts every node to its ONNX form at `opset`. */
function writeNodes(graph: Graph, opset: number, signal: AbortSignal | undefined): WriteResult {
  const inferred = inferTypes(graph);
  const tracker = new TypeTracker();
  for (const [k, t] of inferred.types) tracker.declare(k, t);
  for (const [k, t] of inferred.constants) tracker.constant(k, t);
  const initializers = new Map(graph.initializers);
  const taken = graph.definedValues();
  for (const n of graph.nodes) taken.add(n.name);
  const fresh = (base: string) => {
    const n = uniqueName(base, taken);
    taken.add(n);
    return n;
  };
  const nodes: NodeProto[] = [];
  const problems: Problem[] = [];
  const domains = new Set<string>();

  const convert = (node: Node, depth: number): void => {
    if (depth > 8) throw new RuleRejection('conversion does not terminate');
    const rule = findExportRule(node.op);
    if (!rule) throw new RuleRejection(`IR op ${node.op} has no ONNX form`);
    if (opset < rule.since && rule.domain === '') throw Object.assign(new RuleRejection(`${node.op} needs opset >= ${rule.since}`), { needs: rule.since });
    const schema = findSchema(node.op);
    const work: WorkNode = {
      name: node.name,
      op: rule.op,
      domain: rule.domain,
      inputs: [...node.inputs],
      outputs: [...node.outputs],
      attrs: { ...node.attrs },
      attrTypes: Object.fromEntries(Object.keys(node.attrs).map((k) => [k, schema?.attrs?.[k]?.type ?? guessAttrType(node.attrs[k])])) as Record<string, AttrType>,
      graphs: {},
      ...(node.doc ? { doc: node.doc } : {}),
    };
    const cx: RewriteCx = {
      direction: 'export',
      opset,
      constant: (t, base) => {
        const n = fresh(base);
        initializers.set(n, t);
        tracker.constant(n, t);
        return n;
      },
      valueOf: (n) => tracker.valueOf(n),
      typeOf: (n) => tracker.typeOf(n),
      emit: (op, inputs, attrs = {}, outputs = 1) => {
        const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => fresh(`${node.name}/${op}`)) : [...outputs];
        const helper: Node = { name: fresh(`${node.name}/${op}`), op, inputs: [...inputs], outputs: outs, attrs };
        tracker.add(helper);
        convert(helper, depth + 1);
        return outs;
      },
      fresh,
      used: (n) => graph.isUsed(n),
    };
    rule.fixup?.down?.(work, cx);
    const steps = rule.domain === '' ? [...rule.steps].reverse() : [];
    for (const step of steps) {
      if (step.at <= opset) break;
      if (!step.down) throw Object.assign(new RuleRejection(`${node.op}: ${step.doc}; needs opset >= ${step.at}`), { needs: step.at });
      try {
        step.down(work, cx);
      } catch (e) {
        if (e instanceof RuleRejection) throw Object.assign(e, { needs: (e as { needs?: number }).needs ?? step.at });
        throw e;
      }
      if (work.done) return;
    }
    for (const k of rule.dtypeAttrs) {
      const v = work.attrs[k];
      if (typeof v === 'string') {
        work.attrs[k] = dtypeToOnnx(v as DType);
        work.attrTypes[k] = 'int';
      }
    }
    if (work.domain) domains.add(work.domain);
    nodes.push(toNodeProto(work));
  };

  for (const node of graph.topologicalOrder()) {
    throwIfAborted(signal, { node: node.name });
    try {
      convert(node, 0);
    } catch (e) {
      if (!(e instanceof RuleRejection)) throw e;
      const needs = (e as { needs?: number }).needs;
      problems.push({ node: node.name, op: node.op, reason: e.reason, ...(needs !== undefined ? { needs } : {}) });
    }
  }
  return { nodes, initializers, tracker, problems, domains };
}

function toNodeProto(n: WorkNode): NodeProto {
  const attribute = Object.keys(n.attrs)
    .sort()
    .map((k) => encodeAttr(k, n.attrs[k] as AttrValue, n.attrTypes[k] ?? guessAttrType(n.attrs[k] as AttrValue)));
  return {
    name: n.name,
    opType: n.op,
    ...(n.domain ? { domain: n.domain } : {}),
    input: trimTrailing(n.inputs),
    output: trimTrailing(n.outputs),
    attribute,
    ...(n.doc ? { docString: n.doc } : {}),
  };
}

function trimTrailing(xs: readonly string[]): string[] {
  const out = [...xs];
  while (out.length && !out[out.length - 1]) out.pop();
  return out;
}

/** Builds the ModelProto around the converted nodes. */
function assemble(original: Graph, graph: Graph, w: WriteResult, opset: number, options: SaveOptions, expressedQuant: ReadonlySet<string>): ModelProto {
  const quantMeta = new Map<string, QuantParams>();
  for (const i of graph.inputs) if (i.type.quant) quantMeta.set(i.name, i.type.quant);
  for (const o of graph.outputs) if (o.type.quant) quantMeta.set(o.name, o.type.quant);

  // Only initializers something reads (or that are graph outputs) are written.
  const read = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of w.nodes) for (const i of n.input ?? []) if (i) read.add(i);
  const initializer: TensorProto[] = [];
  let uses4bit = false;
  for (const [name, t] of w.initializers) {
    if (!read.has(name)) continue;
    // Params that DequantizeLinear inputs already state need no metadata copy.
    const onlyDequantized = expressedQuant.has(name) && w.nodes.every((n) => !(n.input ?? []).includes(name) || n.opType === 'DequantizeLinear');
    if (t.quant && !onlyDequantized) quantMeta.set(name, t.quant);
    if (t.dtype === 'int4' || t.dtype === 'uint4') uses4bit = true;
    initializer.push(tensorToProto(t, name));
  }
  const outputsSet = new Set(graph.outputs.map((o) => o.name));
  const valueInfo: ValueInfoProto[] = [];
  if (options.valueInfo !== false) {
    for (const n of w.nodes) {
      for (const o of n.output ?? []) {
        if (!o || outputsSet.has(o)) continue;
        const t = w.tracker.typeOf(o);
        if (t) {
          valueInfo.push(typeToProto(o, t));
          if (t.dtype === 'int4' || t.dtype === 'uint4') uses4bit = true;
        }
      }
    }
  }
  const md = original.metadata;
  const props = Object.entries(md.props ?? {}).map(([key, value]) => ({ key, value }));
  if (quantMeta.size) props.push({ key: QUANT_META_KEY, value: encodeQuantMeta(quantMeta) });
  const opsetImport = [{ domain: '', version: opset }];
  if (w.domains.has(MS)) opsetImport.push({ domain: MS, version: 1 });
  return {
    irVersion: irVersionFor(opset, uses4bit),
    opsetImport,
    producerName: md.producer ?? 'mo',
    ...(md.producerVersion ? { producerVersion: md.producerVersion } : {}),
    ...(md.doc ? { docString: md.doc } : {}),
    graph: {
      name: graph.name,
      node: w.nodes,
      initializer,
      input: graph.inputs.map((i) => ({ ...typeToProto(i.name, i.type), ...(i.doc ? { docString: i.doc } : {}) })),
      output: graph.outputs.map((o) => ({ ...typeToProto(o.name, o.type), ...(o.doc ? { docString: o.doc } : {}) })),
      valueInfo,
    },
    ...(props.length ? { metadataProps: props } : {}),
  };
}

