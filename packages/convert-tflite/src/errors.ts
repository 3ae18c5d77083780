/**
 * Errors of the TFLite converter. Unsupported nodes are collected over the whole graph and
 * reported together, so one run names everything that blocks an export.
 */
import { UnsupportedOpError } from '@mo/ir';

/** One node the exporter cannot write, and why. */
export interface UnsupportedNode {
  readonly node: string;
  readonly op: string;
  readonly reason: string;
}

/**
 * Thrown by `toTflite` when nodes have no TFLite form: `nodes` lists every one of them (the
 * message too). `node`/`op` name the first.
 *
 * @example
 * ```ts
 * try { toTflite(graph); } catch (e) { if (e instanceof UnsupportedNodesError) for (const n of e.nodes) console.log(n.node, n.op, n.reason); }
 * ```
 */
export class UnsupportedNodesError extends UnsupportedOpError {
  readonly nodes: readonly UnsupportedNode[];
  constructor(nodes: readonly UnsupportedNode[]) {
    const lines = nodes.map((n) => `  ${n.node} (${n.op}): ${n.reason}`);
    super(`${nodes.length} node${nodes.length === 1 ? '' : 's'} cannot be written as TFLite:\n${lines.join('\n')}`, nodes.length ? { node: nodes[0].node, op: nodes[0].op } : {});
    this.nodes = Object.freeze([...nodes]);
  }
}

/** Thrown inside an export rule: the node is recorded as unsupported with this reason. */
export class NodeUnsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Marks the current node as unsupported (caught and collected by the exporter). */
export function unsupported(reason: string): never {
  throw new NodeUnsupported(reason);
}
