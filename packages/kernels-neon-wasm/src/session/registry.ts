/**
 * The kernel registry: which fast kernel runs an IR op. Registrations are matched by op name and
 * tried by descending priority; the first whose `plan` accepts the node wins. Registering a kernel
 * name twice throws. A node no kernel accepts runs on the @mo/ir reference interpreter (runNode) and
 * is reported in `session.fallbackOps` with every kernel's reason.
 */
import { ArgumentError, type Node, type Tensor, type TensorType } from '@mo/ir';
import type { Runtime } from '../runtime/module.js';

/** Physical layout of a value in wasm memory: row-major as its type says, or channels last (an NCHW value stored NHWC). */
export type Layout = 'plain' | 'cl';

/** How a kernel reads one input: from wasm memory in a layout, as a constant it packs itself, or not at all. */
export type InputUse = Layout | 'const' | 'ignore';

/** What a kernel sees when it plans one node (all shapes static). */
export interface PlanContext {
  readonly node: Node;
  /** Attributes with the schema defaults filled in. */
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inputs: readonly (TensorType | undefined)[];
  readonly outputs: readonly TensorType[];
  /** Value of input i when known before running (initializer or folded constant). */
  constant(i: number): Tensor | undefined;
  /** Current physical layout of input i ('plain' for constants). */
  layout(i: number): Layout;
  /**
   * Factors per output channel (axis 0 of input 1, the weights) that the kernel must multiply the
   * weights by while packing them: a BatchNormalization the session folds at packing time instead
   * of in a copy of the weights. Undefined when there is none. A kernel that does not call this
   * for a node that has factors is not used for it (the node falls back, with folded weights).
   */
  packScale?(): Float64Array | undefined;
  /** Session-lifetime cache (weights packed once per node, across plans). */
  cached<T>(key: string, make: () => T, release?: (v: T) => void): T;
  readonly runtime: Runtime;
}

/** Where things are once the arena is placed. */
export interface BindContext {
  readonly runtime: Runtime;
  /** Byte offset of input i (for inputs used in a layout). */
  input(i: number): number;
  output(i: number): number;
  /** Byte offset of the workspace asked for in the plan. */
  readonly workspace: number;
  /** Plan-lifetime memory (indirection buffers, parameter blocks), freed when the plan is dropped. */
  alloc(bytes: number): number;
}

export interface KernelPlan {
  /** Use of each input (index-aligned with node.inputs). */
  readonly inputs: readonly InputUse[];
  /** Layout of each output written to wasm memory. */
  readonly outputs: readonly Layout[];
  /** Output 0 is a view of input 0's memory (Reshape and friends): nothing to run. */
  readonly alias?: boolean;
  /** Scratch bytes needed while the step runs. */
  readonly workspace?: number;
  /** The microkernel that will run (for reports), when known at plan time. */
  readonly ukernel?: string;
  /** Resolves addresses and returns the step's function. */
  bind(b: BindContext): () => void;
}

export interface KernelRegistration {
  /** Unique name, e.g. `wasm/Conv`. */
  readonly name: string;
  /** IR op it implements. */
  readonly op: string;
  /** Higher runs first. */
  readonly priority: number;
  /** A plan, or the reason the node cannot run here. */
  plan(ctx: PlanContext): KernelPlan | string;
}

/**
 * Kernels by op, tried by descending priority.
 *
 * @example
 * ```ts
 * const registry = createRegistry(); // the default kernels
 * registry.register({ name: 'my/Relu', op: 'Relu', priority: 100, plan: (ctx) => 'not today' });
 * const session = createSessionSync(graph, { registry });
 * ```
 */
export class KernelRegistry {
  private readonly byName = new Map<string, KernelRegistration>();
  private readonly byOp = new Map<string, KernelRegistration[]>();

  /** Adds a kernel; a name registered twice throws. */
  register(k: KernelRegistration): void {
    if (this.byName.has(k.name)) throw new ArgumentError(`kernel '${k.name}' is registered twice`);
    this.byName.set(k.name, k);
    const list = this.byOp.get(k.op) ?? [];
    list.push(k);
    list.sort((a, b) => b.priority - a.priority);
    this.byOp.set(k.op, list);
  }

  /** Kernels for `op`, highest priority first. */
  kernelsFor(op: string): readonly KernelRegistration[] {
    return this.byOp.get(op) ?? [];
  }

  /** Every op with at least one kernel, sorted. */
  ops(): string[] {
    return [...this.byOp.keys()].sort();
  }

  /** Every registration, sorted by name. */
  all(): KernelRegistration[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
