/**
 * Reading the calibration set (once, checking every sample) and running the float graph over it
 * with the reference interpreter's onNode hook, feeding observers.
 */
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  Tensor,
  formatShape,
  run,
  throwIfAborted,
  withContext,
  type Graph,
} from '@mo/ir';
import { valuesRunner, type Engine } from '../engine.js';
import type { CalibrationData, CalibrationSample, QuantizeProgress } from '../options.js';
import type { ChannelMean, RangeObserver } from './observers.js';

function isIterable(x: unknown): x is Iterable<unknown> {
  return x != null && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}
function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x != null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Checks one sample against the graph's inputs; throws typed errors naming the sample and input. */
export function checkSample(graph: Graph, sample: unknown, index: number): CalibrationSample {
  const where = `calibration sample ${index}`;
  if (sample === null || typeof sample !== 'object' || sample instanceof Tensor || Array.isArray(sample)) {
    throw new ArgumentError(`${where} must be an object mapping input names to Tensors ({ ${graph.inputs.map((i) => `${i.name}: Tensor`).join(', ')} }), got ${sample instanceof Tensor ? 'a Tensor' : Array.isArray(sample) ? 'an array' : String(sample)}`);
  }
  const s = sample as Record<string, unknown>;
  const names = graph.inputs.map((i) => i.name);
  for (const k of Object.keys(s)) {
    if (!names.includes(k)) throw new ArgumentError(`${where} has '${k}', which is not an input of graph '${graph.name}'; inputs are ${names.map((n) => `'${n}'`).join(', ')}`, { value: k });
  }
  const bound = new Map<string, number>();
  for (const input of graph.inputs) {
    const t = s[input.name];
    if (t === undefined) {
      if (graph.initializers.has(input.name)) continue;
      throw new ArgumentError(`${where} has no value for input '${input.name}' (${input.type.dtype}${formatShape(input.type.shape)})`, { value: input.name });
    }
    if (!(t instanceof Tensor)) throw new ArgumentError(`${where}: input '${input.name}' must be a Tensor, got ${typeof t}`, { value: input.name });
    if (t.dtype !== input.type.dtype) throw new DTypeError(`${where}: input '${input.name}' has dtype '${t.dtype}', expected '${input.type.dtype}'`, { value: input.name });
    const shape = input.type.shape;
    const bad = t.shape.length !== shape.length || shape.some((d, k) => {
      if (typeof d === 'number') return d !== t.shape[k];
      const prev = bound.get(d);
      bound.set(d, t.shape[k]);
      return prev !== undefined && prev !== t.shape[k];
    });
    if (bad) throw new ShapeError(`${where}: input '${input.name}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`, { value: input.name });
    if (t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16' || t.dtype === 'bfloat16') {
      for (let i = 0; i < t.size; i++) {
        const v = t.get(i);
        if (!Number.isFinite(v)) throw new ArgumentError(`${where}: input '${input.name}' holds ${v} at element ${i}; calibration data must be finite`, { value: input.name });
      }
    }
  }
  return s as CalibrationSample;
}

/**
 * Reads a calibration set into memory (it is used again for bias correction, sensitivity and the
 * report), checking every sample. Throws ArgumentError for a non-iterable or empty set.
 */
export async function collectSamples(
  graph: Graph,
  data: CalibrationData | undefined,
  opts: { signal?: AbortSignal; onProgress?: (p: QuantizeProgress) => void; required: boolean; preset: string },
): Promise<CalibrationSample[]> {
  if (data === undefined) {
    if (opts.required) throw new ArgumentError(`preset '${opts.preset}' needs option 'calibration': an iterable of samples ({ ${graph.inputs.map((i) => `${i.name}: Tensor`).join(', ')} })`);
    return [];
  }
  if (!isIterable(data) && !isAsyncIterable(data)) {
    throw new ArgumentError(`option 'calibration' must be an Iterable or AsyncIterable of samples (objects of input Tensors), got ${(data as unknown) instanceof Tensor ? 'a Tensor' : typeof data}`);
  }
  const out: CalibrationSample[] = [];
  const push = (s: unknown) => {
    throwIfAborted(opts.signal, {});
    out.push(checkSample(graph, s, out.length));
  };
  if (isAsyncIterable(data)) for await (const s of data) push(s);
  else for (const s of data as Iterable<unknown>) push(s);
  if (out.length === 0) throw new ArgumentError(`the calibration set is empty; preset '${opts.preset}' needs at least one sample`);
  return out;
}

/** Lets timers and abort handlers run between long synchronous steps. */
export function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Observers keyed by value name. */
export interface Observers {
  readonly ranges: ReadonlyMap<string, RangeObserver>;
  readonly means?: ReadonlyMap<string, ChannelMean>;
}

/** Runs `graph` over the samples with `engine`, feeding every observer its value. */
export async function observe(
  graph: Graph,
  samples: readonly CalibrationSample[],
  obs: Observers,
  opts: { signal?: AbortSignal; onProgress?: (p: QuantizeProgress) => void; engine?: Engine } = {},
): Promise<void> {
  const see = (name: string, t: Tensor, index: number, node?: string) => {
    const r = obs.ranges.get(name);
    const m = obs.means?.get(name);
    if (!r && !m) return;
    try {
      r?.observe(t, `value '${name}'${node ? ` (output of node '${node}')` : ''} on calibration sample ${index}`);
    } catch (e) {
      throw withContext(e, node ? { node, value: name } : { value: name });
    }
    m?.observe(t);
  };
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const wanted = [...new Set([...obs.ranges.keys(), ...(obs.means?.keys() ?? [])])].filter((v) => !inputs.has(v));
  const runner = opts.engine && wanted.length ? await valuesRunner(opts.engine, graph, wanted) : undefined;
  try {
    for (let i = 0; i < samples.length; i++) {
      throwIfAborted(opts.signal, {});
      const feeds = samples[i];
      for (const [k, t] of Object.entries(feeds)) see(k, t, i);
      if (runner) {
        const out = await runner.run(feeds, { signal: opts.signal });
        for (const v of wanted) see(v, out[v], i, graph.producerOf(v)?.name);
      } else {
        run(graph, feeds, {
          signal: opts.signal,
          onNode: (node, _inputs, outputs) => node.outputs.forEach((o, k) => o && outputs[k] && see(o, outputs[k], i, node.name)),
        });
      }
      opts.onProgress?.({ stage: 'calibrate', done: i + 1, total: samples.length });
      await pause();
    }
  } finally {
    runner?.dispose?.();
  }
}
