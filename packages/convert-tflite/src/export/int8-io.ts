/**
 * int8 I/O: a fully integer model takes and returns int8 tensors (with their scale and zero
 * point in the file) instead of float ones behind a QUANTIZE and a DEQUANTIZE, as TFLite's
 * converter does with `inference_input_type = int8`. The caller quantizes inputs and dequantizes
 * outputs with the params `fromTflite` or any TFLite runtime reports.
 */
import { perTensor, type Graph, type Node, type ValueInfo } from '@mo/ir';
import { UnsupportedNodesError, type UnsupportedNode } from '../errors.js';

/** Per-tensor int8 (scale, zero point) of a QuantizeLinear / DequantizeLinear node, or undefined. */
function int8Params(g: Graph, n: Node): { scale: number; zeroPoint: number } | undefined {
  const s = g.initializers.get(n.inputs[1]);
  const z = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
  if (!s || s.size !== 1 || (z && (z.size !== 1 || z.dtype !== 'int8')) || (!z && n.op === 'QuantizeLinear')) return undefined;
  return { scale: s.get(0), zeroPoint: z ? z.get(0) : 0 };
}

const same = (a: { scale: number; zeroPoint: number }, b: { scale: number; zeroPoint: number }) => Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;

/**
 * The graph with each float input that only feeds per-tensor int8 QuantizeLinear nodes (all with
 * the same params) turned into an int8 input, and each output written by a per-tensor int8
 * DequantizeLinear turned into the int8 value it dequantizes. Names stay the same. Inputs and
 * outputs without such a node are listed together in one UnsupportedNodesError.
 */
export function int8Boundaries(graph: Graph): Graph {
  let g = graph;
  const problems: UnsupportedNode[] = [];
  const inputs: ValueInfo[] = [];
  for (const input of g.inputs) {
    if (g.initializers.has(input.name)) {
      inputs.push(input);
      continue;
    }
    const readers = g.consumersOf(input.name);
    const params = readers.map((n) => (n.op === 'QuantizeLinear' ? int8Params(g, n) : undefined));
    const p = params[0];
    if (!readers.length || !p || params.some((q) => !q || !same(q, p)) || g.isGraphOutput(input.name)) {
      problems.push({ node: input.name, op: '(graph input)', reason: "option io 'int8': the input is not read only by per-tensor int8 QuantizeLinear nodes with one set of params" });
      inputs.push(input);
      continue;
    }
    for (const q of readers) g = g.rewireUses(q.outputs[0], input.name);
    g = g.removeNodes(readers.map((n) => n.name));
    inputs.push({ ...input, type: { ...input.type, dtype: 'int8', quant: perTensor(p.scale, p.zeroPoint) } });
  }
  g = g.with({ inputs });
  const outputs: ValueInfo[] = [];
  for (const output of g.outputs) {
    const dq = g.producerOf(output.name);
    const p = dq?.op === 'DequantizeLinear' ? int8Params(g, dq) : undefined;
    const source = dq?.inputs[0];
    if (!dq || !p || !source || g.initializers.has(source) || g.isGraphInput(source) || g.isGraphOutput(source) || g.consumersOf(output.name).length) {
      problems.push({ node: output.name, op: '(graph output)', reason: "option io 'int8': the output is not written by a per-tensor int8 DequantizeLinear of a computed value" });
      outputs.push(output);
      continue;
    }
    g = g.rewireUses(output.name, source).removeDead();
    outputs.push({ ...output, type: { ...output.type, dtype: 'int8', quant: perTensor(p.scale, p.zeroPoint) } });
  }
  if (problems.length) throw new UnsupportedNodesError(problems);
  const valueTypes = new Map(g.valueTypes);
  for (const o of outputs) valueTypes.delete(o.name);
  return g.with({ outputs, valueTypes });
}
