/**
 * QLinearConv / QLinearMatMul become their QDQ form (DequantizeLinear -> float op ->
 * QuantizeLinear), which the exporter writes as int8 operators; and int8 graph inputs read
 * through DequantizeLinear take that DequantizeLinear's params into their type (a .tflite input
 * tensor carries its quantization).
 */
import { Tensor, perTensor, type Graph, type NodeInit, type ValueInfo } from '@mo/ir';

function constantOf(g: Graph, v: string | undefined): Tensor | undefined {
  return v && !g.isGraphInput(v) ? g.initializers.get(v) : undefined;
}

/** Rewrites QLinearConv / QLinearMatMul nodes whose params are constants; others stay (and are reported). */
export function lowerQLinear(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.op === 'QLinearConv' || n.op === 'QLinearMatMul')) return annotateInputs(graph);
  const inits = new Map(graph.initializers);
  const taken = graph.definedValues();
  for (const n of graph.nodes) taken.add(n.name);
  const fresh = (b: string) => {
    let name = b;
    for (let k = 1; taken.has(name); k++) name = `${b}_${k}`;
    taken.add(name);
    return name;
  };
  const nodes: NodeInit[] = [];
  for (const n of graph.nodes) {
    if (n.op === 'QLinearConv') {
      const [x, xs, xz, w, ws, wz, ys, yz, b] = n.inputs;
      const xsT = constantOf(graph, xs);
      const wsT = constantOf(graph, ws);
      if (!xsT || !wsT || (b && !constantOf(graph, b))) {
        nodes.push(n);
        continue;
      }
      const xf = fresh(`${x}_dequantized`);
      const wf = fresh(`${w}_dequantized`);
      const yf = fresh(`${n.outputs[0]}_float`);
      nodes.push({ name: fresh(`${n.name}_dq_x`), op: 'DequantizeLinear', inputs: [x, xs, xz], outputs: [xf] });
      nodes.push({ name: fresh(`${n.name}_dq_w`), op: 'DequantizeLinear', inputs: [w, ws, wz], outputs: [wf], attrs: { axis: 0 } });
      let bf = '';
      if (b) {
        const s = wsT.toFloat32().map((v) => Math.fround(v * xsT.get(0)));
        const bs = fresh(`${b}_scale`);
        const bz = fresh(`${b}_zero_point`);
        inits.set(bs, new Tensor('float32', s.length === 1 ? [] : [s.length], s));
        inits.set(bz, new Tensor('int32', s.length === 1 ? [] : [s.length], new Int32Array(s.length)));
        bf = fresh(`${b}_dequantized`);
        nodes.push({ name: fresh(`${n.name}_dq_b`), op: 'DequantizeLinear', inputs: [b, bs, bz], outputs: [bf], attrs: { axis: 0 } });
      }
      const { requant: _r, ...attrs } = n.attrs;
      nodes.push({ name: n.name, op: 'Conv', inputs: [xf, wf, bf], outputs: [yf], attrs });
      nodes.push({ name: fresh(`${n.name}_q_y`), op: 'QuantizeLinear', inputs: [yf, ys, yz], outputs: [n.outputs[0]] });
    } else if (n.op === 'QLinearMatMul') {
      const [a, as, az, b, bs, bz, ys, yz] = n.inputs;
      const asT = constantOf(graph, as);
      const bsT = constantOf(graph, bs);
      const bT = constantOf(graph, b);
      if (!asT || asT.size !== 1 || !bsT || (bsT.size !== 1 && (!bT || bT.rank !== 2))) {
        nodes.push(n);
        continue;
      }
      const af = fresh(`${a}_dequantized`);
      const bf = fresh(`${b}_dequantized`);
      const yf = fresh(`${n.outputs[0]}_float`);
      nodes.push({ name: fresh(`${n.name}_dq_a`), op: 'DequantizeLinear', inputs: [a, as, az], outputs: [af] });
      nodes.push({ name: fresh(`${n.name}_dq_b`), op: 'DequantizeLinear', inputs: [b, bs, bz], outputs: [bf], attrs: bsT.size === 1 ? {} : { axis: 1 } });
      nodes.push({ name: n.name, op: 'MatMul', inputs: [af, bf], outputs: [yf] });
      nodes.push({ name: fresh(`${n.name}_q_y`), op: 'QuantizeLinear', inputs: [yf, ys, yz], outputs: [n.outputs[0]] });
    } else nodes.push(n);
  }
  return annotateInputs(graph.with({ nodes, initializers: inits }));
}

/** int8 / uint8 graph inputs without params in their type take those of the DequantizeLinear reading them. */
function annotateInputs(g: Graph): Graph {
  let changed = false;
  const inputs = g.inputs.map((i): ValueInfo => {
    if (i.type.quant || (i.type.dtype !== 'int8' && i.type.dtype !== 'uint8')) return i;
    const dqs = g.consumersOf(i.name).filter((c) => c.op === 'DequantizeLinear' && c.inputs[0] === i.name);
    const params = dqs.map((d) => [constantOf(g, d.inputs[1]), constantOf(g, d.inputs[2])] as const);
    if (!params.length || params.some(([s, z]) => !s || s.size !== 1 || (z && z.size !== 1))) return i;
    const [s, z] = params[0];
    const same = params.every(([s2, z2]) => s2!.get(0) === s!.get(0) && (z2?.get(0) ?? 0) === (z?.get(0) ?? 0));
    if (!same) return i;
    changed = true;
    return { ...i, type: { ...i.type, quant: perTensor(s!.get(0), z?.get(0) ?? 0) } };
  });
  return changed ? g.with({ inputs }) : g;
}
