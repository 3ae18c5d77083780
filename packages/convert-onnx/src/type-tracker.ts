/**
 * Type inference while a graph is being converted, on demand: when a rule asks for the type or the
 * value of something a node makes, that node (and, first, whatever it needs) is inferred with the
 * IR schemas' own `infer`, and small all-constant subexpressions are evaluated with the reference
 * implementation, so rules can ask for the rank of a value or the contents of a shape tensor. A
 * node sees only what nodes added before it make, as if each were inferred when added; nodes whose
 * outputs nobody asks about are never inferred here (the final graph is inferred as a whole).
 * Failures are not errors here: the value just stays unknown, and the verifier reports real
 * problems once the whole graph exists.
 */
import {
  MoError,
  baseContext,
  checkArity,
  findSchema,
  isStaticShape,
  resolveAttrs,
  runNode,
  typeOfTensor,
  type InferContext,
  type Node,
  type Tensor,
  type TensorType,
} from '@mo/ir';

/** Constant subexpressions up to this many elements are evaluated while converting. */
const FOLD_LIMIT = 4096;

interface Pending {
  readonly node: Node;
  /** Order of addition. */
  readonly seq: number;
}

export class TypeTracker {
  private readonly types = new Map<string, TensorType>();
  private readonly consts = new Map<string, Tensor>();
  /** Outputs of nodes added but not inferred yet, with their producer. */
  private readonly pending = new Map<string, Pending>();
  private added = 0;
  private counter = 0;

  /** A declared type (graph input, value_info) or a known constant. */
  declare(name: string, type: TensorType): void {
    this.pending.delete(name);
    this.types.set(name, type);
  }

  constant(name: string, t: Tensor): void {
    this.pending.delete(name);
    this.consts.set(name, t);
    this.types.set(name, typeOfTensor(t));
  }

  typeOf(name: string): TensorType | undefined {
    this.resolve(name);
    return this.types.get(name);
  }

  valueOf(name: string): Tensor | undefined {
    this.resolve(name);
    return this.consts.get(name);
  }

  /** Records `node`; it is inferred when something asks about one of its outputs. */
  add(node: Node): void {
    const p: Pending = { node, seq: this.added++ };
    for (const o of node.outputs) if (o) this.pending.set(o, p);
  }

  /** Infers the producer of `name` if pending, its own pending producers first (no recursion). */
  private resolve(name: string): void {
    const first = this.pending.get(name);
    if (!first) return;
    const stack = [first];
    while (stack.length) {
      const p = stack[stack.length - 1];
      let dep: Pending | undefined;
      for (const i of p.node.inputs) {
        const d = i ? this.pending.get(i) : undefined;
        // Only earlier nodes count (seq strictly decreases along the stack, so this ends).
        if (d && d.seq < p.seq) {
          dep = d;
          break;
        }
      }
      if (dep) {
        stack.push(dep);
        continue;
      }
      stack.pop();
      for (const o of p.node.outputs) if (o && this.pending.get(o) === p) this.pending.delete(o);
      this.infer(p.node);
    }
  }

  /** Infers the outputs of `node` from what is known of its inputs. */
  private infer(node: Node): void {
    const schema = findSchema(node.op);
    if (!schema) return;
    const inputs = node.inputs.map((n) => (n ? this.types.get(n) : undefined));
    if (node.inputs.some((n, i) => n && !inputs[i])) return;
    try {
      checkArity(schema, node);
      const ctx: InferContext = {
        ...baseContext(node, resolveAttrs(schema, node)),
        inputs,
        constant: (i) => (node.inputs[i] ? this.consts.get(node.inputs[i]) : undefined),
        unknownDim: () => `?c${++this.counter}`,
      };
      const out = schema.infer(ctx);
      let values = schema.foldFromTypes?.(ctx);
      const allConst = node.inputs.every((n) => !n || this.consts.has(n));
      const small = out.every((t) => isStaticShape(t.shape) && t.shape.reduce<number>((a, b) => a * (b as number), 1) <= FOLD_LIMIT);
      if (!values && allConst && small && !schema.tags?.includes('layout-sensitive') && !isRandom(node.op)) {
        try {
          values = runNode(node, node.inputs.map((n) => (n ? this.consts.get(n) : undefined)));
        } catch (e) {
          if (!(e instanceof MoError)) throw e;
        }
      }
      node.outputs.forEach((o, k) => {
        if (!o || !out[k]) return;
        this.types.set(o, out[k]);
        if (values?.[k]) this.consts.set(o, values[k]);
      });
    } catch (e) {
      if (!(e instanceof MoError)) throw e;
    }
  }
}

function isRandom(op: string): boolean {
  return op.startsWith('Random') || op === 'Bernoulli' || op === 'Multinomial';
}
