/**
 * The parameters of a model being built: each one comes from the user's weights when given, else
 * from the seeded initialization.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, formatShape } from '@mo/ir';
import { initTensor, type ParamInit } from './init.js';
import type { ResolvedOptions } from './options.js';

/** Entries of a PyTorch state_dict that have no counterpart in an inference graph. */
const IGNORED_SUFFIXES = ['.num_batches_tracked'];

export class ParamStore {
  private readonly used = new Set<string>();
  private readonly missing: string[] = [];

  constructor(private readonly opts: ResolvedOptions) {}

  /** The tensor for parameter `name` of `shape`: loaded when the weights have it, else initialized. */
  get(name: string, shape: readonly number[], init: ParamInit): Tensor {
    const loaded = this.load(name, shape);
    if (loaded) return loaded;
    if (this.opts.strictWeights) this.missing.push(name);
    return initTensor(this.opts.seed, name, shape, init);
  }

  private load(name: string, shape: readonly number[]): Tensor | undefined {
    const w = this.opts.weights;
    if (!w) return undefined;
    const t = typeof w === 'function' ? w(name, shape) : w.get(name);
    if (t === undefined) return undefined;
    if (!(t instanceof Tensor)) throw new ArgumentError(`weights for '${name}' must be a Tensor, got ${typeof t}`, { value: name });
    if (t.dtype !== 'float32') throw new DTypeError(`weights for '${name}' of ${this.opts.model} must be float32, got ${t.dtype}`, { value: name });
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`weights for '${name}' of ${this.opts.model} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`, { value: name });
    }
    this.used.add(name);
    return t;
  }

  /**
   * With `strictWeights`: throws when a parameter was not given or a weight map entry was not used.
   * Entries named like one of the graph's other constants (ReLU6 bounds, shapes) are allowed, so
   * that `graph.initializers` of the same model loads strictly.
   */
  finish(constants: ReadonlySet<string>): void {
    if (!this.opts.strictWeights) return;
    const problems: string[] = [];
    if (this.missing.length) problems.push(`missing ${this.missing.length} parameter(s): ${list(this.missing)}`);
    const w = this.opts.weights;
    if (w instanceof Map) {
      const unused = [...w.keys()].filter((k) => !this.used.has(k) && !constants.has(k) && !IGNORED_SUFFIXES.some((s) => k.endsWith(s)));
      if (unused.length) problems.push(`${unused.length} weight(s) match no parameter: ${list(unused)}`);
    }
    if (problems.length) throw new ArgumentError(`strictWeights: ${this.opts.model} ${problems.join('; ')}`);
  }
}

function list(names: readonly string[]): string {
  const head = names.slice(0, 5).map((n) => `'${n}'`).join(', ');
  return names.length > 5 ? `${head}, ... (${names.length - 5} more)` : head;
}
