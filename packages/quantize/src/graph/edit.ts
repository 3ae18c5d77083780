/**
 * Graph-editing helpers shared by the quantization rewrites: fresh names, scalar and vector
 * initializers, unfused activation nodes, and dropping initializers nothing reads any more.
 */
import { Graph, Tensor, tensor, uniqueName, type DType, type NodeInit } from '@mo/ir';

/** Hands out names unused in a graph and distinct from each other. */
export class Names {
  private readonly taken: Set<string>;
  constructor(g: Graph) {
    this.taken = g.definedValues();
    for (const n of g.nodes) this.taken.add(n.name);
  }
  fresh(base: string): string {
    const name = uniqueName(base, this.taken);
    this.taken.add(name);
    return name;
  }
}

/** A rank-0 tensor. */
export function scalarTensor(dtype: DType, value: number): Tensor {
  return tensor(dtype, value, []);
}

/** An int64 1-D tensor (shapes). */
export function int64Vector(values: readonly number[]): Tensor {
  return tensor('int64', values.map((v) => BigInt(v)), [values.length]);
}

/** Removes initializers that no node reads and that are not graph inputs or outputs. */
export function dropUnusedInitializers(g: Graph): Graph {
  const read = new Set<string>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) read.add(i);
  for (const o of g.outputs) read.add(o.name);
  const dead = [...g.initializers.keys()].filter((k) => !read.has(k) && !g.isGraphInput(k));
  return dead.length ? g.withoutInitializers(dead) : g;
}

/**
 * The standalone nodes computing a fused activation (`activation` + `activation_params`
 * attributes) from `x` into `y`, with the initializers they need. 'none' gives no node.
 */
export function activationNodes(
  activation: string,
  params: readonly number[],
  x: string,
  y: string,
  names: Names,
  base: string,
): { nodes: NodeInit[]; initializers: [string, Tensor][] } {
  const name = names.fresh(`${base}/${activation}`);
  switch (activation) {
    case 'none':
      return { nodes: [{ name, op: 'Identity', inputs: [x], outputs: [y] }], initializers: [] };
    case 'Clip': {
      const [lo, hi] = params.length ? params : [-Infinity, Infinity];
      const inits: [string, Tensor][] = [];
      const bound = (v: number, what: string) => {
        if (!Number.isFinite(v)) return '';
        const n = names.fresh(`${base}/clip_${what}`);
        inits.push([n, scalarTensor('float32', v)]);
        return n;
      };
      return { nodes: [{ name, op: 'Clip', inputs: [x, bound(lo, 'min'), bound(hi, 'max')], outputs: [y] }], initializers: inits };
    }
    case 'LeakyRelu':
      return { nodes: [{ name, op: 'LeakyRelu', inputs: [x], outputs: [y], attrs: params.length ? { alpha: params[0] } : {} }], initializers: [] };
    case 'HardSigmoid':
      return { nodes: [{ name, op: 'HardSigmoid', inputs: [x], outputs: [y], attrs: params.length ? { alpha: params[0], beta: params[1] } : {} }], initializers: [] };
    default:
      return { nodes: [{ name, op: activation, inputs: [x], outputs: [y] }], initializers: [] };
  }
}

/** The fused activation of a node (name and params). */
export function fusedActivationOf(attrs: Readonly<Record<string, unknown>>): { activation: string; params: number[] } {
  const activation = (attrs.activation as string | undefined) ?? 'none';
  const params = [...((attrs.activation_params as readonly number[] | undefined) ?? [])];
  return { activation, params };
}
