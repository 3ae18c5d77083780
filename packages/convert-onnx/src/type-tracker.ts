/**
 * Incremental type inference while a graph is being converted: each node is inferred as it is
 * added (with the IR schemas' own `infer`), and small all-constant subexpressions are evaluated
 * with the reference implementation, so rules can ask for the rank of a value or the contents of
 * a shape tensor. Failures are not errors here: the value just stays unknown, and the verifier
 * reports real problems once the whole graph exists.
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

export class TypeTracker {
  private readonly types = new Map<string, TensorType>();
  private readonly consts = new Map<string, Tensor>();
  private counter = 0;

  /** A declared type (graph input, value_info) or a known constant. */
  declare(name: string, type: TensorType): void {
    this.types.set(name, type);
  }

  constant(name: string, t: Tensor): void {
    this.consts.set(name, t);
    this.types.set(name, typeOfTensor(t));
  }

  typeOf(name: string): TensorType | undefined {
    return this.types.get(name);
  }

  valueOf(name: string): Tensor | undefined {
    return this.consts.get(name);
  }

  /** Infers the outputs of `node` from what is known of its inputs. */
  add(node: Node): void {
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
