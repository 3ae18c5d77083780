/**
 * The training engine: the wasm kernels (@mo/kernels-neon-wasm) behind the tape's forward and
 * backward, on one runtime with optional worker threads. `fit` and `evaluate` create one when
 * `engine: 'wasm'` is asked for; create one yourself to share it between calls.
 */
import { ArgumentError, oneOf } from '@mo/ir';
import { TrainingOps, createRuntimeSync } from '@mo/kernels-neon-wasm';
import type { GradientRule } from '../autodiff/registry.js';
import { engineGradients } from './rules.js';

/** Where training runs: the reference interpreter with TypeScript rules, or the wasm engine. */
export type EngineName = 'reference' | 'wasm';

export const ENGINE_NAMES: readonly EngineName[] = Object.freeze(['reference', 'wasm'] as const);

/** A running training engine (see {@link createTrainingEngine}). */
export interface TrainingEngine {
  readonly name: 'wasm';
  /** Threads the kernels run on (1 where worker threads are unavailable). */
  readonly threads: number;
  /** Gradient rules replacing the built-in ones (pass as `recordForward(..., { rules })`). */
  readonly rules: ReadonlyMap<string, GradientRule>;
  readonly ops: TrainingOps;
  /**
   * Lets the next step reuse the arrays of the previous ones (values and gradients of earlier
   * tapes become invalid). `fit` calls it before every step.
   */
  recycle(): void;
  /** Stops reusing arrays (the arrays handed out stay valid). */
  releaseArrays(): void;
  /** Stops the worker threads. */
  dispose(): void;
}

/**
 * Starts the wasm training engine with `threads` kernel threads (default 1).
 *
 * @example
 * ```ts
 * const engine = createTrainingEngine({ threads: 2 });
 * const tape = recordForward(graph, { input: x }, { training: true, rules: engine.rules });
 * engine.dispose();
 * ```
 */
export function createTrainingEngine(options: { threads?: number } = {}): TrainingEngine {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError(`option 'threads' must be an integer >= 1, got ${String(threads)}`);
  const ops = new TrainingOps(createRuntimeSync(threads));
  return {
    name: 'wasm',
    threads: ops.threads,
    rules: engineGradients(ops),
    ops,
    recycle: () => ops.recycle(),
    releaseArrays: () => ops.releaseArrays(),
    dispose: () => ops.dispose(),
  };
}

/** Resolves fit/evaluate's `engine` option: undefined for the reference, else an engine and whether the caller owns it. */
export function resolveEngine(engine: EngineName | TrainingEngine | undefined, threads: number | undefined): { engine: TrainingEngine | undefined; owned: boolean } {
  if (engine === undefined || engine === 'reference') return { engine: undefined, owned: false };
  if (engine === 'wasm') return { engine: createTrainingEngine({ threads }), owned: true };
  if (typeof engine === 'object' && engine.name === 'wasm') return { engine, owned: false };
  throw new ArgumentError(`option 'engine' must be a TrainingEngine or ${oneOf(ENGINE_NAMES)}, got ${JSON.stringify(engine)}`);
}
