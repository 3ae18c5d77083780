/**
 * `quantize`: IR in, IR out. The stages, in order:
 *   prepare   check options and graph; fold BatchNorm and fuse activations (@mo/ir optimize);
 *             optionally equalize weight ranges across layers
 *   calibrate read the calibration set; observe activation ranges and channel means
 *   quantize  rewrite weights (and activations) for the preset; bias correction
 *   sensitivity  with an error budget, keep the most sensitive layers float
 *   evaluate  SQNR against float on the calibration set, sizes, the report
 */
import {
  ArgumentError,
  Graph,
  groupOf,
  oneOf,
  optimize,
  throwIfAborted,
  verify,
} from '@mo/ir';
import { collectSamples, observe, pause } from './calibrate/calibrate.js';
import { ChannelMean, RangeObserver } from './calibrate/observers.js';
import { inputChannelAxis, inputChannels } from './correct/bias.js';
import { meansFromBatchNorm } from './correct/bn-means.js';
import { equalize } from './correct/equalize.js';
import { valueSqnr, Evaluator } from './evaluate.js';
import { rewriteDynamic } from './graph/dynamic.js';
import { lowerQdq } from './graph/lower.js';
import { weightSlots } from './graph/roles.js';
import { activationParams, buildStatic, planStatic, type StaticBuildOptions, type StaticPlan } from './graph/static.js';
import { rewriteWeights } from './graph/weights.js';
import { round } from './math.js';
import { CALIBRATION_METHODS, resolveOptions, type CalibrationMethod, type CalibrationSample, type QuantizeOptions, type ResolvedOptions } from './options.js';
import type { ActivationParams, LayerReport, OutputReport, QuantizeReport, SensitivityEntry } from './report-types.js';
import { initializerBytes } from './size.js';

/** What `quantize` returns. */
export interface QuantizeResult {
  /** The quantized graph (a new graph; the input is untouched). */
  readonly graph: Graph;
  readonly report: QuantizeReport;
}

/** A candidate build: the graph for a set of float nodes, its layers and packed-size info. */
interface Built {
  readonly graph: Graph;
  readonly layers: LayerReport[];
  readonly bitsOf?: ReadonlyMap<string, number>;
}

function closest(name: string, candidates: readonly string[]): string[] {
  const score = (c: string) => {
    const a = name.toLowerCase();
    const b = c.toLowerCase();
    if (b.includes(a) || a.includes(b)) return 0;
    let common = 0;
    while (common < Math.min(a.length, b.length) && a[common] === b[common]) common++;
    return -common;
  };
  return [...candidates].sort((x, y) => score(x) - score(y)).slice(0, 3);
}

/**
 * Quantizes a graph with a preset.
 *
 * @example
 * ```ts
 * import { quantize } from '@mo/quantize';
 * const { graph, report } = await quantize(model, { preset: 'int8-static', calibration: samples });
 * console.log(report.size.ratio, report.outputs?.[0].sqnrDb);
 * ```
 */
export async function quantize(graph: Graph, options: QuantizeOptions): Promise<QuantizeResult> {
  return quantizeWith(graph, options, {});
}

/** The static pipeline's state after calibration: what quantization-aware training starts from. */
export interface StaticState {
  /** The prepared float graph (BatchNorm folded, activations fused, optionally equalized). */
  readonly g0: Graph;
  readonly plan: StaticPlan;
  /** Activation params of every quantized value, from the chosen calibration method. */
  readonly params: ReadonlyMap<string, ActivationParams>;
  readonly method: CalibrationMethod;
  readonly options: StaticBuildOptions;
}

/** Internal hooks of the pipeline (quantization-aware training uses them; not public API). */
export interface QuantizeInternals {
  /** Receives the static state once calibration has chosen the activation params. */
  readonly capture?: (state: StaticState) => void;
  /** Start from this prepared graph and these activation params instead of preparing and calibrating. */
  readonly prepared?: { readonly g0: Graph; readonly params: ReadonlyMap<string, ActivationParams>; readonly method: CalibrationMethod };
}

/** `quantize` with internal hooks. */
export async function quantizeWith(graph: Graph, options: QuantizeOptions, internals: QuantizeInternals): Promise<QuantizeResult> {
  const o = resolveOptions(options);
  const prepared = o.family === 'static' ? internals.prepared : undefined;
  if (!(graph instanceof Graph)) throw new ArgumentError(`quantize needs a Graph from @mo/ir, got ${graph === null ? 'null' : typeof graph}`);
  const { signal, onProgress } = options;
  throwIfAborted(signal, {});
  const nodeNames = graph.nodes.map((n) => n.name);
  for (const e of o.exclude) {
    if (!nodeNames.includes(e)) {
      throw new ArgumentError(`option 'exclude' names node '${e}', which is not in graph '${graph.name}'; did you mean ${oneOf(closest(e, nodeNames))}?`, { node: e });
    }
  }
  verify(graph);
  const notes: string[] = [];
  onProgress?.({ stage: 'prepare', done: 0 });

  // ---------------------------------------------------------------- prepare
  let g0 = prepared ? prepared.g0 : o.optimize ? optimize(graph, { signal, onLog: (p, m) => notes.push(`${p}: ${m}`) }) : graph;
  const keepFloat = new Map<string, string>();
  for (const e of o.exclude) {
    if (g0.node(e)) keepFloat.set(e, 'excluded by option exclude');
    else notes.push(`excluded node '${e}' was folded into its producer by optimize; exclude the producer to keep it float`);
  }
  if (o.family === 'static' && o.minSize > 0) {
    for (const n of g0.nodes) {
      const w = weightSlots(g0, n).find((s) => s.role === 'weight');
      if (w && w.tensor.size < o.minSize && !keepFloat.has(n.name)) keepFloat.set(n.name, `weight has ${w.tensor.size} elements, below minSize ${o.minSize}`);
    }
  }
  let cleScales: ReadonlyMap<string, Float64Array> | undefined;
  if (o.equalize && !prepared) {
    const r = equalize(g0, { relu6AsRelu: o.equalize === 'relu6-as-relu', exclude: o.exclude });
    g0 = r.graph;
    cleScales = r.scales;
    notes.push(`cross-layer equalization: ${r.pairs.length} pair${r.pairs.length === 1 ? '' : 's'} (${r.pairs.map(([a, b]) => `${a}->${b}`).join(', ') || 'none found'})`);
    if (r.relu6Replaced.length) notes.push(`ReLU6 replaced by ReLU to equalize (the float model changes): ${r.relu6Replaced.join(', ')}`);
  }

  // ---------------------------------------------------------------- calibrate
  const samples = await collectSamples(graph, options.calibration, {
    signal,
    onProgress,
    required: o.family === 'static' || o.minSqnrDb !== undefined,
    preset: o.minSqnrDb !== undefined && o.family !== 'static' ? `${o.preset}' with option 'minSqnrDb` : o.preset,
  });
  const ranges = new Map<string, RangeObserver>();
  const means = new Map<string, ChannelMean>(); // by value name
  const meanOf = new Map<string, string>(); // node -> the value whose means it needs
  const staticOpts: StaticBuildOptions = { format: o.format, activationType: o.activationType, symmetric: o.family === 'static' ? o.symmetric : false, perChannel: o.perChannel, method: o.method };
  const plan = o.family === 'static' ? planStatic(g0, o.format, keepFloat) : undefined;
  if (plan && !prepared) for (const v of plan.values) ranges.set(v, new RangeObserver(o.method, o.percentile));
  if (o.biasCorrection && prepared) throw new ArgumentError(`option 'biasCorrection' does not apply after quantization-aware training: training adjusts the biases itself`);
  if (o.biasCorrection && samples.length && o.family !== 'half') {
    for (const n of g0.nodes) {
      const slot = weightSlots(g0, n).find((s) => s.role === 'weight');
      const axis = inputChannelAxis(n);
      const channels = slot && inputChannels(slot);
      if (!slot || axis === undefined || channels === undefined) continue;
      const x = n.inputs[0];
      const m = means.get(x) ?? new ChannelMean(channels, axis);
      if (m.channels !== channels || m.axis !== axis) continue;
      means.set(x, m);
      meanOf.set(n.name, x);
    }
  }
  if (ranges.size || means.size) await observe(g0, samples, { ranges, means }, { signal, onProgress, engine: options.engine });
  let inputMeans: Map<string, ArrayLike<number>> | undefined;
  if (o.biasCorrection && o.family !== 'half') {
    if (samples.length) {
      inputMeans = new Map([...meanOf].map(([node, key]) => [node, means.get(key)!.means]));
      notes.push(`bias correction: empirical input means from ${samples.length} calibration sample${samples.length === 1 ? '' : 's'}`);
    } else {
      inputMeans = meansFromBatchNorm(graph, g0, cleScales);
      notes.push(`bias correction: data-free, input means from BatchNormalization statistics for ${inputMeans.size} layer${inputMeans.size === 1 ? '' : 's'}`);
    }
  }

  // ---------------------------------------------------------------- quantize
  onProgress?.({ stage: 'quantize', done: 0 });
  const evaluator = samples.length ? new Evaluator(graph, samples, options.engine) : undefined;
  let method = prepared ? prepared.method : o.method;
  const buildStaticWith = (keep: ReadonlyMap<string, string>, m: CalibrationMethod): Built => {
    const p = planStatic(g0, o.format, keep);
    const params = prepared ? prepared.params : activationParams(p, ranges, { ...staticOpts, method: m });
    const r = buildStatic(g0, p, params, { ...staticOpts, method: m, inputMeans });
    return { graph: r.graph, layers: r.layers };
  };
  if (o.family === 'static' && method === 'auto' && evaluator) {
    const tried: string[] = [];
    let best = -Infinity;
    for (const m of CALIBRATION_METHODS.filter((x) => x !== 'auto')) {
      const sq = await evaluator.sqnr(buildStaticWith(keepFloat, m).graph, { signal });
      tried.push(`${m} ${sq} dB`);
      if (sq > best) [best, method] = [sq, m];
    }
    notes.push(`calibration method auto: ${tried.join(', ')}; chose ${method}`);
  }
  if (plan && internals.capture) {
    internals.capture({ g0, plan, params: activationParams(plan, ranges, { ...staticOpts, method }), method, options: { ...staticOpts, method } });
  }
  const build = (keep: ReadonlyMap<string, string>, bitsOverride?: ReadonlyMap<string, number>): Built => {
    switch (o.family) {
      case 'static':
        return buildStaticWith(keep, method);
      case 'dynamic':
        return rewriteDynamic(g0, { perChannel: o.perChannel, minSize: o.minSize, keepFloat: keep });
      default:
        return rewriteWeights(g0, {
          family: o.family,
          bits: o.bits,
          symmetric: o.symmetric,
          perChannel: o.perChannel,
          groupSize: o.groupSize,
          minSize: o.minSize,
          weightOp: o.weightOp,
          halfType: o.halfType,
          seed: o.seed,
          keepFloat: keep,
          bitsOverride,
          inputMeans,
        });
    }
  };
  let built = build(keepFloat);
  throwIfAborted(signal, {});
  await pause();

  // ---------------------------------------------------------------- sensitivity
  let sensitivity: SensitivityEntry[] | undefined;
  if (o.minSqnrDb !== undefined && evaluator) {
    const r = await mixedPrecision(o, built, build, keepFloat, evaluator, { signal, onProgress });
    built = r.built;
    sensitivity = r.sensitivity;
    notes.push(...r.notes);
  }

  // ---------------------------------------------------------------- lower
  let result = built.graph;
  let lowered: QuantizeReport['lowered'];
  if (o.integer) {
    const r = lowerQdq(result, { requant: o.format === 'tflite' ? 'fixed-point' : 'float' });
    result = r.graph;
    lowered = { ops: r.ops, kept: r.kept };
  }
  result = result.with({
    metadata: { ...result.metadata, props: { ...(result.metadata.props ?? {}), 'mo.quantize.preset': o.preset } },
  });
  verify(result);

  // ---------------------------------------------------------------- evaluate
  let outputs: OutputReport[] | undefined;
  if (evaluator) {
    onProgress?.({ stage: 'evaluate', done: 0, total: samples.length });
    outputs = await evaluator.outputs(result, { signal, onProgress, stage: 'evaluate' });
    const layerValues = built.layers.filter((l) => l.scheme !== 'float').map((l) => g0.node(l.node)?.outputs[0]).filter((v): v is string => !!v);
    const sq = await valueSqnr(g0, built.graph, layerValues, samples, { signal, engine: options.engine });
    for (const l of built.layers) {
      const v = g0.node(l.node)?.outputs[0];
      if (v && sq.has(v)) l.outputSqnrDb = sq.get(v);
    }
  }
  const before = initializerBytes(graph);
  const after = initializerBytes(result);
  const packedAfter = initializerBytes(result, built.bitsOf);
  const float = [...built.layers.filter((l) => l.scheme === 'float' && l.reason).map((l) => ({ node: l.node, reason: l.reason! }))];
  if (o.family === 'static') {
    const p = planStatic(g0, o.format, new Map([...keepFloat, ...built.layers.filter((l) => l.scheme === 'float' && l.reason).map((l) => [l.node, l.reason!] as const)]));
    for (const [node, reason] of p.float) if (!float.some((f) => f.node === node)) float.push({ node, reason });
  }
  const report: QuantizeReport = {
    preset: o.preset,
    settings: settingsOf(o, method),
    layers: built.layers,
    size: { before, after, ratio: round(after / before, 4), packedAfter, packedRatio: round(packedAfter / before, 4) },
    samples: samples.length,
    ...(outputs ? { outputs } : {}),
    float,
    ...(sensitivity ? { sensitivity } : {}),
    ...(lowered ? { lowered } : {}),
    notes,
  };
  return { graph: result, report };
}

function settingsOf(o: ResolvedOptions, chosen: CalibrationMethod): QuantizeReport['settings'] {
  const base = { perChannel: o.perChannel, symmetric: o.symmetric, bits: o.bits, groupSize: o.groupSize };
  if (o.family === 'static') return { ...base, method: chosen, format: o.format, activationType: o.activationType };
  if (o.family === 'dynamic') return { ...base, activationType: 'uint8' };
  return base;
}

/**
 * Greedy mixed precision under an error budget: measure each layer's sensitivity (output SQNR with
 * only that layer quantized), then, most sensitive first, give layers more precision until the
 * output SQNR on the calibration set reaches the budget: int8 first for sub-8-bit weight presets,
 * then float.
 */
async function mixedPrecision(
  o: ResolvedOptions,
  first: Built,
  build: (keep: ReadonlyMap<string, string>, bits?: ReadonlyMap<string, number>) => Built,
  keepFloat: ReadonlyMap<string, string>,
  evaluator: Evaluator,
  opts: { signal?: AbortSignal; onProgress?: QuantizeOptions['onProgress'] },
): Promise<{ built: Built; sensitivity: SensitivityEntry[]; notes: string[] }> {
  const target = o.minSqnrDb!;
  const notes: string[] = [];
  const full = await evaluator.sqnr(first.graph, { signal: opts.signal });
  const sensitivity: SensitivityEntry[] = [];
  if (full >= target) {
    notes.push(`error budget: output SQNR ${full} dB already meets minSqnrDb ${target} dB; every layer keeps its scheme`);
    return { built: first, sensitivity, notes };
  }
  // Layers that compute (pure data movement is not worth a float island).
  const candidates = first.layers.filter((l) => !l.reason && (l.weight !== undefined || (groupOf(l.op) !== 'movement' && l.op !== 'MaxPool' && l.op !== 'GlobalMaxPool')));
  const all = new Map(keepFloat);
  for (const l of candidates) all.set(l.node, 'sensitivity probe');
  for (let i = 0; i < candidates.length; i++) {
    const l = candidates[i];
    const keep = new Map(all);
    keep.delete(l.node);
    const sq = await evaluator.sqnr(build(keep).graph, { signal: opts.signal });
    sensitivity.push({ node: l.node, op: l.op, sqnrDb: sq });
    opts.onProgress?.({ stage: 'sensitivity', done: i + 1, total: candidates.length });
  }
  sensitivity.sort((a, b) => a.sqnrDb - b.sqnrDb);
  const keep = new Map(keepFloat);
  const bits = new Map<string, number>();
  const levels: ('int8' | 'float')[] = o.family === 'weights' && o.bits < 8 ? ['int8', 'float'] : ['float'];
  let built = first;
  let sq = full;
  const why = (s: SensitivityEntry, k: number, what: string) =>
    `${what} by the error budget (minSqnrDb ${target} dB): quantized alone at ${o.bits} bits it gives ${s.sqnrDb} dB output SQNR, rank ${k + 1} of ${sensitivity.length} most sensitive`;
  for (const level of levels) {
    for (let k = 0; k < sensitivity.length && sq < target; k++) {
      const s = sensitivity[k];
      if (keep.has(s.node)) continue;
      if (level === 'int8') bits.set(s.node, 8);
      else keep.set(s.node, why(s, k, 'kept float'));
      built = build(keep, bits);
      if (level === 'int8') for (const l of built.layers) if (bits.has(l.node) && !l.reason) l.reason = why(sensitivity.find((e) => e.node === l.node)!, sensitivity.findIndex((e) => e.node === l.node), 'given 8 bits');
      sq = await evaluator.sqnr(built.graph, { signal: opts.signal });
    }
  }
  const floated = keep.size - keepFloat.size;
  const promoted = [...bits.keys()].filter((n) => !keep.has(n)).length;
  notes.push(
    sq >= target
      ? `error budget: ${promoted ? `${promoted} layer${promoted === 1 ? '' : 's'} given 8 bits, ` : ''}${floated} layer${floated === 1 ? '' : 's'} kept float to reach ${sq} dB >= ${target} dB (all quantized: ${full} dB)`
      : `error budget: ${target} dB not reached even with every layer float (best ${sq} dB)`,
  );
  return { built, sensitivity, notes };
}

export type { CalibrationSample };
