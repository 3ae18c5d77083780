/**
 * Models built with the IR GraphBuilder for export tests: a small CNN, a transformer encoder
 * block and a MobileNetV2-shaped network. Weights are seeded and scaled so activations stay in a
 * sane range through many layers.
 */
import { GraphBuilder, lut, perAxis, perBlock, perTensor, tensor, type Graph, type Value } from '@mo/ir';
import { randomTensor } from './ort.js';

let seed = 1;
const w = (shape: number[], scale: number) => randomTensor(shape, seed++ * 7919, -scale, scale);
const heScale = (fanIn: number) => Math.sqrt(6 / fanIn) / 2;

/** Conv + BN + ReLU, pool, strided conv with fused ReLU, global pool, Gemm, Softmax. */
export function smallCnn(opts: { nhwc?: boolean } = {}): Graph {
  seed = 11;
  const b = new GraphBuilder('small-cnn');
  const x = b.input('image', 'float32', ['batch', 3, 16, 16]);
  let h = b.conv(x, w([8, 3, 3, 3], heScale(27)), w([8], 0.1), { pads: [1, 1, 1, 1] });
  h = b.relu(bnLayer(b, h, 8));
  h = b.maxPool(h, { kernel_shape: [2, 2], strides: [2, 2] });
  if (opts.nhwc) {
    const t = b.transpose(h, [0, 2, 3, 1]);
    const c = b.conv(t, w([16, 8, 3, 3], heScale(72)), w([16], 0.1), { strides: [2, 2], pads: [1, 1, 1, 1], activation: 'Relu', layout: 'NHWC' });
    h = b.transpose(c, [0, 3, 1, 2]);
  } else {
    h = b.conv(h, w([16, 8, 3, 3], heScale(72)), w([16], 0.1), { strides: [2, 2], pads: [1, 1, 1, 1], activation: 'Relu' });
  }
  h = b.flatten(b.globalAveragePool(h), 1);
  const logits = b.gemm(h, w([10, 16], heScale(16)), w([10], 0.1), { transB: 1 });
  b.output(b.softmax(logits, -1), 'probs');
  return b.build();
}

function bnLayer(b: GraphBuilder, x: Value, c: number): Value {
  const scale = tensor('float32', w([c], 0.2).toNumbers().map((v) => 1 + v), [c]);
  const variance = tensor('float32', w([c], 0.3).toNumbers().map((v) => 1 + v), [c]);
  return b.batchNorm(x, scale, w([c], 0.1), w([c], 0.1), variance, { epsilon: 1e-5 });
}

/** Pre-norm transformer encoder block: multi-head self-attention and a Gelu MLP. */
export function transformerBlock(opts: { seq?: number; dim?: number; heads?: number } = {}): Graph {
  seed = 23;
  const seq = opts.seq ?? 8;
  const dim = opts.dim ?? 32;
  const heads = opts.heads ?? 4;
  const hd = dim / heads;
  const b = new GraphBuilder('encoder-block');
  const x = b.input('tokens', 'float32', [1, seq, dim]);
  const ln = (v: Value) => b.layerNorm(v, tensor('float32', w([dim], 0.1).toNumbers().map((q) => 1 + q), [dim]), w([dim], 0.1), { axis: -1, epsilon: 1e-5 });
  const proj = (v: Value, n: number, m: number) => b.add(b.matmul(v, w([n, m], heScale(n))), w([m], 0.05));
  const h = ln(x);
  const split = (v: Value) => b.transpose(b.reshape(v, [1, seq, heads, hd]), [0, 2, 1, 3]);
  const q = split(proj(h, dim, dim));
  const k = b.transpose(b.reshape(proj(h, dim, dim), [1, seq, heads, hd]), [0, 2, 3, 1]);
  const v = split(proj(h, dim, dim));
  const scores = b.mul(b.matmul(q, k), 1 / Math.sqrt(hd));
  const attn = b.matmul(b.softmax(scores, -1), v);
  const merged = b.reshape(b.transpose(attn, [0, 2, 1, 3]), [1, seq, dim]);
  const x1 = b.add(x, proj(merged, dim, dim));
  const mlp = proj(b.gelu(proj(ln(x1), dim, 2 * dim)), 2 * dim, dim);
  b.output(b.add(x1, mlp), 'encoded');
  return b.build();
}

/**
 * MobileNetV2's shape: stem, 17 inverted residual blocks (expand 1x1 + ReLU6, depthwise 3x3 +
 * ReLU6, project 1x1, residual when shapes allow), 1x1 head, global pool, classifier. `width`
 * scales the channel counts (1 = the real network).
 */
export function mobileNetV2(opts: { width?: number; size?: number; classes?: number } = {}): Graph {
  seed = 37;
  const width = opts.width ?? 1;
  const size = opts.size ?? 224;
  const ch = (c: number) => Math.max(8, Math.round((c * width) / 8) * 8);
  const b = new GraphBuilder('mobilenet-v2');
  const relu6 = { activation: 'Clip' as const, activation_params: [0, 6] };
  const conv = (x: Value, cin: number, cout: number, k: number, stride: number, group: number, act: boolean) => {
    const fan = (cin / group) * k * k;
    return b.conv(x, w([cout, cin / group, k, k], heScale(fan)), w([cout], 0.05), {
      strides: [stride, stride],
      pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2],
      group,
      ...(act ? relu6 : {}),
    });
  };
  let x = b.input('image', 'float32', [1, 3, size, size]);
  let cin = ch(32);
  x = conv(x, 3, cin, 3, 2, 1, true);
  const settings: [number, number, number, number][] = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  for (const [t, c, n, s] of settings) {
    const cout = ch(c);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = cin * t;
      let h = t === 1 ? x : conv(x, cin, hidden, 1, 1, 1, true);
      h = conv(h, hidden, hidden, 3, stride, hidden, true);
      h = conv(h, hidden, cout, 1, 1, 1, false);
      x = stride === 1 && cin === cout ? b.add(x, h) : h;
      cin = cout;
    }
  }
  x = conv(x, cin, ch(1280), 1, 1, 1, true);
  x = b.flatten(b.globalAveragePool(x), 1);
  const classes = opts.classes ?? 1000;
  b.output(b.gemm(x, w([classes, ch(1280)], heScale(ch(1280))), w([classes], 0.05), { transB: 1 }), 'logits');
  return b.build();
}


/** Weight-only quantization: per-axis, per-tensor, per-block and lookup-table weights under Dequantize. */
export function quantized(): Graph {
  const b = new GraphBuilder('weight-only');
  const x = b.input('x', 'float32', ['n', 8]);
  const w1 = b.dequantize(b.constant(tensor('int8', Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127), [4, 8], perAxis(0, [0.01, 0.02, 0.015, 0.03], [0, 3, -1, 2]))));
  const w2 = b.dequantize(b.constant(tensor('uint8', Array.from({ length: 16 }, (_, i) => (i * 29) % 256), [4, 4], perTensor(0.02, 128))));
  const w3 = b.dequantize(b.constant(tensor('int8', Array.from({ length: 16 }, (_, i) => (i * 13) % 200 - 100), [4, 4], perBlock(1, 2, Array.from({ length: 8 }, (_, i) => 0.01 * (i + 1)), new Array(8).fill(0)))));
  const table = Array.from({ length: 16 }, (_, i) => (i - 8) / 10);
  const w4 = b.dequantize(b.constant(tensor('uint8', Array.from({ length: 16 }, (_, i) => (i * 5) % 16), [4, 4], lut(4, table))));
  let h = b.relu(b.gemm(x, w1, undefined, { transB: 1 }));
  h = b.matmul(b.matmul(b.matmul(h, w2), w3), w4);
  b.output(h, 'y');
  return b.build();
}

/**
 * Integer compute: QuantizeLinear -> QLinearConv (per-channel int8 weights, fused Relu, optionally
 * NHWC) -> QLinearMatMul -> DequantizeLinear.
 */
export function qlinearModel(opts: { nhwc?: boolean } = {}): Graph {
  const b = new GraphBuilder('qlinear');
  const x = b.input('x', 'float32', [1, 4, 6, 6]);
  const xs = tensor('float32', 0.02, []);
  const xz = tensor('uint8', 128, []);
  const xq = b.quantizeLinear(x, xs, xz);
  const w = tensor('int8', Array.from({ length: 8 * 4 * 9 }, (_, i) => ((i * 53) % 201) - 100), [8, 4, 3, 3]);
  const ws = tensor('float32', Array.from({ length: 8 }, (_, i) => 0.002 * (i + 1)), [8]);
  const wz = tensor('int8', new Array(8).fill(0), [8]);
  const bias = tensor('int32', Array.from({ length: 8 }, (_, i) => (i - 4) * 300), [8]);
  const ys = tensor('float32', 0.05, []);
  const yz = tensor('uint8', 100, []);
  const input = opts.nhwc ? b.transpose(xq, [0, 2, 3, 1]) : xq;
  let c = b.qlinearConv({ x: input, xScale: xs, xZeroPoint: xz, w, wScale: ws, wZeroPoint: wz, yScale: ys, yZeroPoint: yz, bias }, { pads: [1, 1, 1, 1], activation: 'Relu', ...(opts.nhwc ? { layout: 'NHWC' } : {}) });
  if (opts.nhwc) c = b.transpose(c, [0, 3, 1, 2]);
  const flat = b.reshape(c, [8, 36]);
  const m = tensor('uint8', Array.from({ length: 36 * 5 }, (_, i) => (i * 31) % 256), [36, 5]);
  const mm = b.qlinearMatMul({ a: flat, aScale: ys, aZeroPoint: yz, b: m, bScale: tensor('float32', 0.01, []), bZeroPoint: tensor('uint8', 120, []), yScale: tensor('float32', 0.5, []), yZeroPoint: tensor('uint8', 10, []) });
  b.output(b.dequantizeLinear(mm, tensor('float32', 0.5, []), tensor('uint8', 10, [])), 'y');
  return b.build();
}

/**
 * ONNX Runtime contrib (com.microsoft) integer ops: QLinearAdd, QLinearSigmoid, QLinearLeakyRelu,
 * QLinearGlobalAveragePool (optionally channels-last).
 */
export function contribModel(opts: { nhwc?: boolean } = {}): Graph {
  const b = new GraphBuilder('contrib');
  const x = b.input('x', 'float32', [1, 4, 3, 3]);
  const s = (v: number) => tensor('float32', v, []);
  const z = (v: number) => tensor('uint8', v, []);
  const q = b.quantizeLinear(x, s(0.02), z(128));
  const add = b.op1('QLinearAdd', [q, s(0.02), z(128), q, s(0.02), z(128), s(0.05), z(100)]);
  const sig = b.op1('QLinearSigmoid', [add, s(0.05), z(100), s(1 / 256), z(0)]);
  const leaky = b.op1('QLinearLeakyRelu', [add, s(0.05), z(100), s(0.04), z(90)], { alpha: 0.1 });
  const sum = b.op1('QLinearAdd', [sig, s(1 / 256), z(0), leaky, s(0.04), z(90), s(0.05), z(60)]);
  const input = opts.nhwc ? b.transpose(sum, [0, 2, 3, 1]) : sum;
  const pooled = b.op1('QLinearGlobalAveragePool', [input, s(0.05), z(60), s(0.03), z(50)], opts.nhwc ? { layout: 'NHWC' } : {});
  b.output(b.dequantizeLinear(pooled, s(0.03), z(50)), 'y');
  return b.build();
}
