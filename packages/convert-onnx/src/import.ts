/**
 * ONNX ModelProto -> IR Graph. Every node goes through its op-table rule: version steps up to the
 * newest form, then either the IR op of the same name or a lowering into IR ops. Problems that
 * mean "valid ONNX we cannot represent" are collected for the whole model and thrown together as
 * one UnsupportedNodesError; malformed files throw FormatError.
 */
import {
  FormatError,
  Graph,
  MoError,
  Tensor,
  UnsupportedOpError,
  findProblems,
  findSchema,
  inferTypes,
  runNode,
  throwIfAborted,
  type AttrValue,
  type Attrs,
  type DType,
  type ErrorContext,
  type GraphMetadata,
  type Node,
  type NodeInit,
  type QuantParams,
  type TensorType,
  type ValueInfo,
} from '@mo/ir';
import { decodeAttr } from './attributes.js';
import { dtypeFromOnnx, dtypeFromOnnxName } from './dtypes.js';
import { RuleRejection, UnsupportedNodesError, type UnsupportedItem } from './errors.js';
import { foldDequantizeLinear } from './fold-dequantize.js';
import { findImportRule } from './op-index.js';
import { int64ToNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { QUANT_META_KEY, decodeQuantMeta, withQuantChecked } from './quant-meta.js';
import type { OpRule, RewriteCx, WorkNode } from './rules.js';
import { tensorFromProto, type ExternalDataReader } from './tensor-decode.js';
import { TypeTracker } from './type-tracker.js';
import { typeFromProto, type TypeResult } from './value-types.js';

/** Options of `parseOnnx` / `loadOnnx`. */
export interface LoadOptions {
  /** Check the imported graph with the IR verifier (default true). */
  verify?: boolean;
  /** Reads tensors stored outside the model file (set automatically when loading from a path). */
  externalData?: ExternalDataReader;
  /** Name used in error messages (defaults to the path when loading from one). */
  fileName?: string;
  /**
   * Turn DequantizeLinear of an integer initializer into the IR's weight form, a quantized
   * initializer under `Dequantize` (default true; both compute the same values).
   */
  foldDequantize?: boolean;
  /** Stops a long import between nodes (AbortError). */
  signal?: AbortSignal;
}

/** Largest helper-node result (elements) folded into an initializer at import. */
const SYNTHETIC_FOLD_LIMIT = 1 << 24;

/** Subgraph nesting (If branches inside If branches ...) beyond this is rejected. */
const MAX_DEPTH = 32;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);
const normDomain = (d: string | null | undefined): string => (d && !DEFAULT_DOMAINS.has(d) ? d : '');

/**
 * Converts a decoded ModelProto into a Graph. `ownsBytes(raw)` says that the raw_data `raw` lies in
 * memory nothing else holds (read from a file by `loadOnnx`), so its tensor may view it, not copy it.
 */
export function importModel(model: ModelProto, options: LoadOptions = {}, ownsBytes?: (raw: Uint8Array) => boolean): Graph {
  const fileCtx: ErrorContext = options.fileName ? { file: options.fileName } : {};
  if (!model.graph) throw new FormatError('the model has no graph', fileCtx);
  const irVersion = int64ToNumber(model.irVersion as never);
  const opsets = new Map<string, number>();
  for (const o of model.opsetImport ?? []) {
    const v = int64ToNumber(o.version as never);
    if (!Number.isInteger(v) || v < 1 || v > 1000) throw new FormatError(`opset_import of domain '${o.domain ?? ''}' has invalid version ${v}`, fileCtx);
    opsets.set(normDomain(o.domain), v);
  }
  // IR version 1-2 files predate opset_import; they are opset 1.
  if (!opsets.has('') && irVersion < 3) opsets.set('', 1);

  const props: Record<string, string> = {};
  let quantMeta: Map<string, QuantParams> | undefined;
  for (const e of model.metadataProps ?? []) {
    if (e.key === QUANT_META_KEY) quantMeta = decodeQuantMeta(e.value ?? '', fileCtx);
    else if (e.key) props[e.key] = e.value ?? '';
  }
  const metadata: GraphMetadata = {
    ...(model.producerName ? { producer: model.producerName } : {}),
    ...(model.producerVersion ? { producerVersion: model.producerVersion } : {}),
    ...(opsets.has('') ? { opset: opsets.get('')! } : {}),
    ...(model.docString ? { doc: model.docString } : {}),
    ...(Object.keys(props).length ? { props } : {}),
  };

  const importer = new GraphImporter(opsets, options, fileCtx, ownsBytes);
  const graph = importer.importMain(model.graph, metadata, quantMeta);
  return options.verify === false ? graph : checked(graph, fileCtx);
}

/**
 * Verifies the imported graph. Ops that the IR does not accept for these dtypes are reported as
 * unsupported; any other problem means the file itself is inconsistent (FormatError).
 */
function checked(graph: Graph, ctx: ErrorContext): Graph {
  const problems = findProblems(graph);
  if (!problems.length) return graph;
  const unsupported = problems.filter((p) => /accepts|not supported|unsupported|unknown op/i.test(p.message));
  if (unsupported.length) {
    throw new UnsupportedNodesError(
      unsupported.map((p) => ({ ...(p.node !== undefined ? { node: p.node } : {}), ...(p.op !== undefined ? { op: p.op } : {}), reason: p.message })),
      'node',
      ctx,
    );
  }
  const first = problems[0];
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  const err = new FormatError(`the model is inconsistent: ${first.message}${more}`, {
    ...ctx,
    ...(first.node !== undefined ? { node: first.node } : {}),
    ...(first.op !== undefined ? { op: first.op } : {}),
    ...(first.value !== undefined ? { value: first.value } : {}),
  });
  (err as { problems?: unknown }).problems = problems;
  throw err;
}

class GraphImporter {
  private readonly nodes: NodeInit[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly tracker = new TypeTracker();
  private readonly declared = new Map<string, TensorType>();
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** Per base name, the suffix from which `uniqueIn` looks for a free name (all below are taken). */
  private readonly takenNext = new Map<string, number>();
  private readonly nodeNamesNext = new Map<string, number>();
  private readonly consumers = new Set<string>();
  private readonly unsupported: UnsupportedItem[] = [];
  /** Helper nodes emitted by steps and lowerings (candidates for folding). */
  private readonly synthetic = new Set<NodeInit>();
  private depth = 0;

  constructor(
    private readonly opsets: ReadonlyMap<string, number>,
    private readonly options: LoadOptions,
    private readonly ctx: ErrorContext,
    private readonly ownsBytes: ((raw: Uint8Array) => boolean) | undefined,
  ) {}

  private tensorOpts(value?: string) {
    return {
      ...(this.options.externalData ? { externalData: this.options.externalData } : {}),
      ctx: { ...this.ctx, ...(value ? { value } : {}) },
      ...(this.ownsBytes ? { ownsRawData: this.ownsBytes } : {}),
    };
  }

  importMain(g: GraphProto, metadata: GraphMetadata, quantMeta: Map<string, QuantParams> | undefined): Graph {
    this.reserveNames(g);
    const outputNames = (g.output ?? []).map((o) => o.name ?? '');
    outputNames.forEach((o) => this.consumers.add(o));
    this.readInitializers(g, quantMeta);
    const inputs = this.readInputs(g, quantMeta);
    for (const vi of g.valueInfo ?? []) {
      if (!vi.name) continue;
      const r = typeFromProto(vi, (k) => `?v_${vi.name}_${k}`, this.ctx);
      if (r.ok) this.declared.set(vi.name, r.type);
    }

    for (const np of g.node ?? []) for (const i of np.input ?? []) if (i) this.consumers.add(i);
    for (const np of g.node ?? []) {
      throwIfAborted(this.options.signal, this.ctx);
      this.convertNode(np as NodeProto);
    }

    const declaredOutputs = (g.output ?? []).map((vi, i) => {
      const name = vi.name ?? '';
      if (!name) throw new FormatError(`graph output ${i} has no name`, this.ctx);
      return { name, vi, result: typeFromProto(vi, (k) => `?o${i}_${k}`, this.ctx) };
    });
    for (const d of declaredOutputs) if (!d.result.ok && !d.result.missing) this.unsupported.push({ node: d.name, reason: `graph output ${d.result.reason}` });
    if (this.unsupported.length) throw new UnsupportedNodesError(this.unsupported, 'construct', this.ctx);

    this.foldSynthetic();
    const readers = new Map<string, number>();
    for (const n of this.nodes) for (const i of new Set(n.inputs)) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
    for (const o of outputNames) readers.set(o, (readers.get(o) ?? 0) + 1);
    if (this.options.foldDequantize !== false) foldDequantizeLinear(this.nodes, this.initializers, readers, new Set(inputs.map((i) => i.name)));

    const draft = Graph.create({
      name: g.name || 'graph',
      inputs,
      outputs: declaredOutputs.map((d) => ({ name: d.name, type: d.result.ok ? d.result.type : { dtype: 'float32', shape: [] } })),
      nodes: this.nodes,
      initializers: this.initializers,
      metadata,
    });
    const inferred = safeInfer(draft);
    // Without inference, outputs lacking a declared type cannot be typed: report why inference failed.
    if (!inferred && declaredOutputs.some((d) => !d.result.ok)) checked(draft, this.ctx);
    const outputs = declaredOutputs.map((d, i) => this.outputInfo(d.name, d.vi, d.result, i, inferred?.get(d.name), quantMeta?.get(d.name)));
    return draft.with({ outputs, valueTypes: this.valueTypes(inferred) });
  }

  private readInitializers(g: GraphProto, quantMeta: Map<string, QuantParams> | undefined): void {
    for (const tp of g.initializer ?? []) {
      const name = tp.name ?? '';
      if (!name) throw new FormatError('an initializer has no name', this.ctx);
      if (this.initializers.has(name)) throw new FormatError(`initializer '${name}' is defined twice`, { ...this.ctx, value: name });
      const t = this.decodeTensor(tp as TensorProto, name);
      if (!t) continue;
      const q = quantMeta?.get(name);
      this.defineConstant(name, q ? withQuantChecked(t, q, name, this.ctx) : t);
    }
    for (const sp of g.sparseInitializer ?? []) {
      this.unsupported.push({ node: sp.values?.name ?? '(sparse initializer)', reason: 'sparse initializers are not supported' });
    }
  }

  /** Graph inputs; those that are also initializers (old IR versions) stay initializers. */
  private readInputs(g: GraphProto, quantMeta: Map<string, QuantParams> | undefined): ValueInfo[] {
    const inputs: ValueInfo[] = [];
    (g.input ?? []).forEach((vi, i) => {
      const name = vi.name ?? '';
      if (!name) throw new FormatError(`graph input ${i} has no name`, this.ctx);
      if (this.initializers.has(name)) return;
      const type = this.valueType(vi, (k) => `?i${i}_${k}`, true);
      if (!type) return;
      const q = quantMeta?.get(name);
      const t = q ? { ...type, quant: q } : type;
      inputs.push({ name, type: t, ...(vi.docString ? { doc: vi.docString } : {}) });
      this.tracker.declare(name, t);
    });
    return inputs;
  }

  /** A graph output's type: declared where complete (unnamed dims filled from inference), else inferred. */
  private outputInfo(name: string, vi: ValueInfoProto, declared: TypeResult, i: number, inf: TensorType | undefined, q: QuantParams | undefined): ValueInfo {
    let type: TensorType;
    if (declared.ok) {
      const shape = declared.type.shape.map((dim, k) => (typeof dim === 'string' && dim.startsWith('?') && typeof inf?.shape[k] === 'number' ? inf.shape[k] : dim));
      type = { dtype: declared.type.dtype, shape };
    } else if (inf) {
      type = { dtype: elemTypeOf(vi, this.ctx) ?? inf.dtype, shape: inf.shape.map((dim, k) => (typeof dim === 'string' ? `?o${i}_${k}` : dim)) };
    } else {
      throw new FormatError(`the type of graph output '${name}' is neither declared nor inferable`, { ...this.ctx, value: name });
    }
    const quant = q ?? inf?.quant;
    return { name, type: quant ? { ...type, quant } : type, ...(vi.docString ? { doc: vi.docString } : {}) };
  }

  /** value_info annotations that agree with inference (they are hints, not facts). */
  private valueTypes(inferred: ReadonlyMap<string, TensorType> | undefined): Map<string, TensorType> {
    const out = new Map<string, TensorType>();
    for (const [k, t] of this.declared) {
      const inf = inferred?.get(k);
      if (this.initializers.has(k) || !inf || inf.dtype !== t.dtype || inf.shape.length !== t.shape.length) continue;
      if (inf.shape.some((d, j) => typeof d === 'number' && typeof t.shape[j] === 'number' && d !== t.shape[j])) continue;
      out.set(k, t);
    }
    return out;
  }

  /**
   * Helper nodes whose inputs are all constants (a lowering applied to constant weights, e.g. the
   * per-direction slices of an LSTM's W) are evaluated now and become initializers.
   */
  private foldSynthetic(): void {
    const kept: NodeInit[] = [];
    for (const n of this.nodes) {
      const inputs = n.inputs.map((i) => (i ? this.initializers.get(i) : undefined));
      const foldable = this.synthetic.has(n) && n.inputs.every((i, k) => !i || inputs[k]) && n.inputs.some(Boolean);
      if (foldable) {
        try {
          const outs = runNode({ ...n, attrs: n.attrs ?? {} } as Node, inputs);
          if (outs.every((t) => t.size <= SYNTHETIC_FOLD_LIMIT)) {
            n.outputs.forEach((o, k) => o && this.initializers.set(o, outs[k]));
            continue;
          }
        } catch (e) {
          if (!(e instanceof MoError)) throw e;
        }
      }
      kept.push(n);
    }
    this.nodes.length = 0;
    this.nodes.push(...kept);
  }

  // ------------------------------------------------------------------ names

  private reserveNames(g: GraphProto): void {
    for (const vi of [...(g.input ?? []), ...(g.output ?? [])]) if (vi.name) this.taken.add(vi.name);
    for (const t of g.initializer ?? []) if (t.name) this.taken.add(t.name);
    for (const n of g.node ?? []) {
      for (const o of n.output ?? []) if (o) this.taken.add(o);
      if (n.name) this.taken.add(n.name);
    }
  }

  private fresh(base: string): string {
    const n = uniqueIn(base || 'v', this.taken, this.takenNext);
    this.taken.add(n);
    return n;
  }

  private nodeName(base: string): string {
    const n = uniqueIn(base, this.nodeNames, this.nodeNamesNext);
    this.nodeNames.add(n);
    return n;
  }

  // ------------------------------------------------------------------ values

  private decodeTensor(tp: TensorProto, name: string): Tensor | undefined {
    try {
      return tensorFromProto(tp, this.tensorOpts(name));
    } catch (e) {
      if (e instanceof UnsupportedOpError && !(e instanceof UnsupportedNodesError)) {
        this.unsupported.push({ node: name, reason: e.detail });
        return undefined;
      }
      throw e;
    }
  }

  private defineConstant(name: string, t: Tensor): void {
    this.initializers.set(name, t);
    this.tracker.constant(name, t);
  }

  /** The type of a graph input; unsupported types are collected. */
  private valueType(vi: ValueInfoProto, placeholder: (k: number) => string, required: boolean): TensorType | undefined {
    const r = typeFromProto(vi, placeholder, this.ctx);
    if (r.ok) return r.type;
    if (required) this.unsupported.push({ node: vi.name ?? '', reason: `graph input ${r.reason}` });
    return undefined;
  }

  // ------------------------------------------------------------------ nodes

  private convertNode(np: NodeProto): void {
    const opType = np.opType ?? '';
    const domain = normDomain(np.domain);
    const label = domain ? `${domain}.${opType}` : opType;
    const nodeName = this.nodeName(np.name || `${opType || 'node'}_${this.nodes.length}`);
    const ctx = { ...this.ctx, node: nodeName, op: label };
    if (!opType) throw new FormatError('a node has no op_type', ctx);
    const version = this.opsets.get(domain);
    const item = (reason: string): void => {
      this.unsupported.push({ node: nodeName, op: label, ...(version !== undefined ? { version } : {}), reason });
    };
    const rule = findImportRule(domain, opType);
    if (!rule) return item(domain ? `domain '${domain}' is not supported` : 'unknown op');
    if (version === undefined) return item(`the model imports no opset for domain '${domain || 'ai.onnx'}'`);
    if (version < rule.since) return item(`opset ${version} is older than the oldest supported version (${rule.since})`);
    const missing = rule.ir.filter((op) => !findSchema(op));
    if (missing.length) return item(`needs IR op${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not available in this @mo/ir`);

    const work: WorkNode = {
      name: nodeName,
      op: opType,
      domain,
      inputs: [...(np.input ?? [])],
      outputs: [...(np.output ?? [])],
      attrs: {},
      attrTypes: {},
      graphs: {},
      ...(np.docString ? { doc: np.docString } : {}),
    };
    for (const a of np.attribute ?? []) {
      const name = a.name ?? '';
      if (!name) throw new FormatError('an attribute has no name', ctx);
      const d = decodeAttr(a, this.tensorOpts(), ctx);
      if (d.kind === 'unsupported') return item(d.reason);
      if (d.kind === 'graph') work.graphs[name] = d.graph;
      else {
        work.attrs[name] = d.value;
        work.attrTypes[name] = d.type;
      }
    }
    if (Object.keys(work.graphs).length && !rule.lower) return item('subgraphs (control flow) are not supported');

    const cx = this.rewriteCx(work, version);
    try {
      for (const step of rule.steps) {
        if (step.at > version && step.up) step.up(work, cx);
        if (work.done) return;
      }
      rule.fixup?.up?.(work, cx);
      if (rule.lower) rule.lower(work, cx);
      else this.emitFinal(work, rule, ctx);
    } catch (e) {
      if (e instanceof RuleRejection) return item(e.reason);
      if (e instanceof UnsupportedNodesError) throw e;
      if (e instanceof UnsupportedOpError) return item(e.detail);
      if (e instanceof MoError && !(e instanceof FormatError)) return item(e.detail);
      throw e;
    }
  }

  /** Writes the upgraded node as the IR op of its rule. */
  private emitFinal(work: WorkNode, rule: OpRule, ctx: ErrorContext): void {
    const op = rule.ir[0];
    const schema = findSchema(op)!;
    const attrs: Record<string, AttrValue> = { ...work.attrs };
    for (const k of rule.dtypeAttrs) {
      const v = attrs[k];
      if (typeof v === 'number') attrs[k] = dtypeFromOnnx(v, ctx);
      else if (typeof v === 'string') attrs[k] = dtypeFromOnnxName(v, ctx) as DType;
    }
    const unknown = Object.keys(attrs).filter((k) => !schema.attrs?.[k]);
    if (unknown.length) throw new RuleRejection(`attribute${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not supported`);
    const inputs = [...work.inputs];
    while (inputs.length && !inputs[inputs.length - 1]) inputs.pop(); // trailing absent inputs are the same as none
    this.push({ name: work.name, op, inputs, outputs: work.outputs, attrs: attrs as Attrs, ...(work.doc ? { doc: work.doc } : {}) });
  }

  private push(node: NodeInit): void {
    this.nodes.push(node);
    this.tracker.add({ ...node, attrs: node.attrs ?? {} } as never);
  }

  private rewriteCx(work: WorkNode, version: number): RewriteCx {
    const base = work.name;
    return {
      direction: 'import',
      opset: version,
      constant: (t, name) => {
        const n = this.fresh(name);
        this.defineConstant(n, t);
        return n;
      },
      define: (name, t) => {
        if (this.initializers.has(name)) throw new FormatError(`value '${name}' is defined twice`, { ...this.ctx, value: name });
        this.defineConstant(name, t);
      },
      valueOf: (name) => this.tracker.valueOf(name),
      typeOf: (name) => this.tracker.typeOf(name) ?? this.declared.get(name),
      emit: (op, inputs, attrs = {}, outputs = 1) => {
        const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(`${base}/${op}`)) : [...outputs];
        const node: NodeInit = { name: this.nodeName(`${base}/${op}`), op, inputs: [...inputs], outputs: outs, attrs: attrs as Attrs };
        this.synthetic.add(node);
        this.push(node);
        return outs;
      },
      fresh: (name) => this.fresh(name),
      used: (name) => this.consumers.has(name),
      inline: (graph) => this.inline(graph, base),
    };
  }

  /** Converts a subgraph into this graph (local names made unique); returns its output names. */
  private inline(g: GraphProto, prefix: string): string[] {
    if (++this.depth > MAX_DEPTH) throw new FormatError(`subgraphs nested deeper than ${MAX_DEPTH}`, this.ctx);
    try {
      const rename = new Map<string, string>();
      const local = (name: string) => {
        const n = this.fresh(`${prefix}/${name}`);
        rename.set(name, n);
        return n;
      };
      for (const tp of g.initializer ?? []) {
        const t = this.decodeTensor(tp as TensorProto, tp.name ?? '');
        if (t) this.defineConstant(local(tp.name ?? 'init'), t);
      }
      const map = (n: string) => (n ? (rename.get(n) ?? n) : n);
      for (const np of g.node ?? []) {
        const outs = (np.output ?? []).map((o) => (o ? local(o) : o));
        const ins = (np.input ?? []).map(map);
        ins.forEach((i) => i && this.consumers.add(i));
        this.convertNode({ ...np, name: np.name ? `${prefix}/${np.name}` : `${prefix}/${np.opType ?? 'node'}`, input: ins, output: outs } as NodeProto);
      }
      return (g.output ?? []).map((o) => map(o.name ?? ''));
    } finally {
      this.depth--;
    }
  }
}

/**
 * `uniqueName(base, taken)` for a set that only grows: the same name (`base`, else the first free
 * `base_i`), without rescanning the suffixes handed out before (many nodes of one name would
 * otherwise cost O(n^2)).
 */
function uniqueIn(base: string, taken: ReadonlySet<string>, next: Map<string, number>): string {
  if (!taken.has(base)) return base;
  let i = next.get(base) ?? 1;
  while (taken.has(`${base}_${i}`)) i++;
  next.set(base, i + 1);
  return `${base}_${i}`;
}

function elemTypeOf(vi: ValueInfoProto, ctx: ErrorContext): DType | undefined {
  const e = vi.type?.tensorType?.elemType;
  return e ? dtypeFromOnnx(e, ctx) : undefined;
}

function safeInfer(g: Graph): ReadonlyMap<string, TensorType> | undefined {
  try {
    return inferTypes(g).types;
  } catch (e) {
    if (e instanceof MoError) return undefined;
    throw e;
  }
}
