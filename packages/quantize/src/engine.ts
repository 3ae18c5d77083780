/**
 * What runs graphs for calibration and evaluation: the @mo/ir reference interpreter by default, or
 * a fast engine the caller plugs in (a @mo/kernels-neon-wasm session; see the README). Compress
 * stages never depend on an engine: the engine comes in as an option.
 */
import { inferTypes, run, type Graph, type Tensor } from '@mo/ir';
import type { CalibrationSample } from './options.js';

/** A graph prepared to run. */
export interface GraphRunner {
  run(feeds: CalibrationSample, opts?: { signal?: AbortSignal }): Promise<Record<string, Tensor>> | Record<string, Tensor>;
  /** Frees what the engine holds (wasm memory); called when quantize is done with the graph. */
  dispose?(): void;
}

/** Prepares a graph to run. It must return every graph output, float32 values as float32. */
export type Engine = (graph: Graph) => Promise<GraphRunner> | GraphRunner;

/** The reference interpreter of @mo/ir: slow and exact. */
export const referenceEngine: Engine = (graph) => ({ run: (feeds, opts) => run(graph, feeds, { signal: opts?.signal }) });

/**
 * A runner for `graph` that returns the named values (graph outputs or intermediate values): the
 * graph's outputs are replaced by them, so any engine can give them.
 */
export async function valuesRunner(engine: Engine, graph: Graph, names: readonly string[]): Promise<GraphRunner> {
  const types = inferTypes(graph).types;
  const outputs = [...new Set(names)].map((name) => ({ name, type: types.get(name)! }));
  return engine(graph.with({ outputs }));
}
