/**
 * Passes as values, composed in a sequence by `runPasses` with a context that can disable
 * passes and attach instruments (timing, IR dumps, verification).
 */
import { MoError, throwIfAborted, withContext } from '../core/errors.js';
import type { Graph } from '../graph/graph.js';

/** What a pass sees besides the graph. */
export interface PassContext {
  /** Names of passes to skip. */
  readonly disabled: ReadonlySet<string>;
  readonly signal?: AbortSignal;
  /** Free-form log lines from passes (e.g. "folded 12 BatchNormalization nodes"). */
  log(message: string): void;
}

/** A graph-to-graph transformation. Must not mutate its input (graphs are immutable anyway). */
export interface Pass {
  readonly name: string;
  readonly description?: string;
  run(graph: Graph, ctx: PassContext): Graph;
}

/**
 * Declares a pass.
 *
 * @example
 * ```ts
 * const dropUnused = definePass({ name: 'drop-unused', run: (g) => g.removeDead() });
 * ```
 */
export function definePass(pass: Pass): Pass {
  return Object.freeze({ ...pass });
}

/** Hooks around each pass; all optional. */
export interface Instrument {
  readonly name: string;
  beforePass?(pass: Pass, graph: Graph): void;
  afterPass?(pass: Pass, before: Graph, after: Graph, ms: number): void;
}

export interface RunPassesOptions {
  /** Pass names to skip. */
  disable?: Iterable<string>;
  instruments?: readonly Instrument[];
  signal?: AbortSignal;
  /** Receives log lines from passes. */
  onLog?: (pass: string, message: string) => void;
}

/**
 * Runs passes in order; errors from a pass carry its name.
 *
 * @example
 * ```ts
 * const optimized = runPasses(graph, [removeIdentity, foldConstants, eliminateDeadCode], {
 *   instruments: [timingInstrument((p, ms) => console.log(p, ms))],
 * });
 * ```
 */
export function runPasses(graph: Graph, passes: readonly Pass[], options: RunPassesOptions = {}): Graph {
  const disabled = new Set(options.disable ?? []);
  let g = graph;
  for (const pass of passes) {
    if (disabled.has(pass.name)) continue;
    throwIfAborted(options.signal, { pass: pass.name });
    const ctx: PassContext = {
      disabled,
      signal: options.signal,
      log: (m) => options.onLog?.(pass.name, m),
    };
    for (const ins of options.instruments ?? []) ins.beforePass?.(pass, g);
    const t0 = performance.now();
    let next: Graph;
    try {
      next = pass.run(g, ctx);
    } catch (e) {
      throw e instanceof MoError ? withContext(e, { pass: pass.name }) : e;
    }
    const ms = performance.now() - t0;
    for (const ins of options.instruments ?? []) ins.afterPass?.(pass, g, next, ms);
    g = next;
  }
  return g;
}

/** Composes passes into one pass (a named pipeline stage). */
export function sequence(name: string, passes: readonly Pass[]): Pass {
  return definePass({
    name,
    run: (g, ctx) => runPasses(g, passes, { disable: ctx.disabled, signal: ctx.signal, onLog: (p, m) => ctx.log(`${p}: ${m}`) }),
  });
}

/** Reports each pass's wall time. */
export function timingInstrument(report: (pass: string, ms: number) => void): Instrument {
  return { name: 'timing', afterPass: (p, _b, _a, ms) => report(p.name, ms) };
}

/** Hands a text dump of the graph after each pass (and before the first) to `sink`. */
export function dumpInstrument(sink: (pass: string, text: string) => void, format: (g: Graph) => string): Instrument {
  let first = true;
  return {
    name: 'dump',
    beforePass(_p, g) {
      if (first) sink('(input)', format(g));
      first = false;
    },
    afterPass: (p, _b, after) => sink(p.name, format(after)),
  };
}

/** Runs `check` (typically `verify`) after every pass; used by tests. */
export function verifyInstrument(check: (g: Graph) => unknown): Instrument {
  return {
    name: 'verify',
    afterPass(p, _b, after) {
      try {
        check(after);
      } catch (e) {
        throw e instanceof MoError ? withContext(e, { pass: p.name }) : e;
      }
    },
  };
}
