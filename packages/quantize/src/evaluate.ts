/**
 * Measuring a quantized graph against float on the calibration set: SQNR and top-1 agreement of
 * each graph output, and SQNR of chosen intermediate values (layer outputs, matched by name).
 */
import { throwIfAborted, type Graph, type Tensor } from '@mo/ir';
import { pause } from './calibrate/calibrate.js';
import { referenceEngine, valuesRunner, type Engine } from './engine.js';
import { ErrorStats, round } from './math.js';
import type { CalibrationSample, QuantizeProgress } from './options.js';
import type { OutputReport } from './report-types.js';

export interface EvaluateOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: QuantizeProgress) => void;
  readonly stage?: QuantizeProgress['stage'];
  /** What runs the graphs (default: the reference interpreter). */
  readonly engine?: Engine;
}

/** Runs `graph` (its outputs, or the named values) on every sample, handing each result to `each`. */
async function runAll(graph: Graph, samples: readonly CalibrationSample[], values: readonly string[] | undefined, opts: EvaluateOptions, each: (out: Record<string, Tensor>, i: number) => void): Promise<void> {
  const engine = opts.engine ?? referenceEngine;
  const runner = values ? await valuesRunner(engine, graph, values) : await engine(graph);
  try {
    for (let i = 0; i < samples.length; i++) {
      throwIfAborted(opts.signal, {});
      each(await runner.run(samples[i], { signal: opts.signal }), i);
      if (opts.stage) opts.onProgress?.({ stage: opts.stage, done: i + 1, total: samples.length });
      await pause();
    }
  } finally {
    runner.dispose?.();
  }
}

/** Row-wise argmax agreement of two [N, C] tensors. */
function argmaxAgreement(a: Tensor, b: Tensor): { agree: number; rows: number } {
  const [rows, cols] = a.shape;
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < cols; c++) {
      if (a.get(r * cols + c) > a.get(r * cols + ia)) ia = c;
      if (b.get(r * cols + c) > b.get(r * cols + ib)) ib = c;
    }
    if (ia === ib) agree++;
  }
  return { agree, rows };
}

/** Caches the float reference outputs so that many candidates can be compared cheaply. */
export class Evaluator {
  private reference: Record<string, Tensor>[] | undefined;

  constructor(
    readonly floatGraph: Graph,
    readonly samples: readonly CalibrationSample[],
    readonly engine: Engine = referenceEngine,
  ) {}

  private async referenceOutputs(opts: EvaluateOptions): Promise<Record<string, Tensor>[]> {
    if (!this.reference) {
      const out: Record<string, Tensor>[] = [];
      await runAll(this.floatGraph, this.samples, undefined, { signal: opts.signal, engine: this.engine }, (o) => out.push(o));
      this.reference = out;
    }
    return this.reference;
  }

  /** Error of each graph output of `candidate` against float. */
  async outputs(candidate: Graph, opts: EvaluateOptions = {}): Promise<OutputReport[]> {
    const ref = await this.referenceOutputs(opts);
    const stats = new Map<string, ErrorStats>();
    const top1 = new Map<string, { agree: number; rows: number }>();
    await runAll(candidate, this.samples, undefined, { ...opts, engine: this.engine }, (got, i) => {
      for (const o of this.floatGraph.outputs) {
        const r = ref[i][o.name];
        const q = got[o.name];
        const s = stats.get(o.name) ?? new ErrorStats();
        s.add(r.toFloat32(), q.toFloat32());
        stats.set(o.name, s);
        if (r.shape.length === 2 && r.shape[1] > 1) {
          const a = argmaxAgreement(r, q);
          const t = top1.get(o.name) ?? { agree: 0, rows: 0 };
          top1.set(o.name, { agree: t.agree + a.agree, rows: t.rows + a.rows });
        }
      }
    });
    return this.floatGraph.outputs.map((o) => {
      const s = stats.get(o.name)!;
      const t = top1.get(o.name);
      return { name: o.name, mse: s.mse, maxAbs: s.maxAbs, sqnrDb: round(s.sqnrDb, 2), ...(t ? { top1Agreement: t.agree / t.rows } : {}) };
    });
  }

  /** One number for a candidate: output SQNR over all graph outputs together, dB. */
  async sqnr(candidate: Graph, opts: EvaluateOptions = {}): Promise<number> {
    const outs = await this.outputs(candidate, opts);
    return Math.min(...outs.map((o) => o.sqnrDb));
  }
}

/**
 * SQNR of named values: each is computed by `reference` and by `candidate` (same value names) on
 * every sample. Values one of the graphs lacks are skipped.
 */
export async function valueSqnr(reference: Graph, candidate: Graph, values: readonly string[], samples: readonly CalibrationSample[], opts: EvaluateOptions = {}): Promise<Map<string, number>> {
  const defined = (g: Graph) => g.definedValues();
  const inRef = defined(reference);
  const inCand = defined(candidate);
  const wanted = [...new Set(values)].filter((v) => inRef.has(v) && inCand.has(v));
  const stats = new Map<string, ErrorStats>();
  if (!wanted.length) return new Map();
  const engine = opts.engine ?? referenceEngine;
  const r = await valuesRunner(engine, reference, wanted);
  try {
    const c = await valuesRunner(engine, candidate, wanted);
    try {
      for (const s of samples) {
        throwIfAborted(opts.signal, {});
        const a = await r.run(s, { signal: opts.signal });
        const b = await c.run(s, { signal: opts.signal });
        for (const v of wanted) {
          const st = stats.get(v) ?? new ErrorStats();
          st.add(a[v].toFloat32(), b[v].toFloat32());
          stats.set(v, st);
        }
        await pause();
      }
    } finally {
      c.dispose?.();
    }
  } finally {
    r.dispose?.();
  }
  return new Map([...stats].map(([v, s]) => [v, round(s.sqnrDb, 2)]));
}
