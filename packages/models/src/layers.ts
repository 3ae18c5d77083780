/**
 * Shared layers: a thin layer over GraphBuilder that names every node and parameter the way
 * PyTorch names modules (`features.3.conv.1.weight`), takes parameters from a ParamStore, and ends
 * the graph the same way for every model.
 */
import { ArgumentError, GraphBuilder, type Graph, type Value } from '@mo/ir';
import type { ParamInit } from './init.js';
import type { ResolvedOptions } from './options.js';
import { ParamStore } from './params.js';

/** Activations the builders use. `relu6` is Clip(0, 6); `hardsigmoid` is relu6(x + 3) / 6, as in PyTorch. */
export type Activation = 'relu' | 'relu6' | 'hardswish' | 'hardsigmoid' | 'sigmoid' | 'none';

/** A 2-D convolution. Padding defaults to `dilation * (kernel - 1) / 2` on every side ("same" for stride 1). */
export interface ConvSpec {
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly groups?: number;
  readonly dilation?: number;
  readonly padding?: number;
  /** Adds a bias (default false: a BatchNormalization follows). */
  readonly bias?: boolean;
}

export interface ConvBnActSpec extends ConvSpec {
  readonly act: Activation;
  /** BatchNormalization epsilon (default 1e-5, PyTorch's). */
  readonly eps?: number;
}

/** Graph metadata `props` every model sets. */
export type ModelProps = Readonly<Record<string, string | number | boolean>>;

export class Net {
  readonly b: GraphBuilder;
  readonly params: ParamStore;
  private relu6Bounds: [Value, Value] | undefined;
  private readonly intConsts = new Map<string, Value>();

  constructor(
    readonly opts: ResolvedOptions,
    graphName: string,
    doc: string,
  ) {
    this.b = new GraphBuilder(graphName, { producer: '@mo/models', doc });
    this.params = new ParamStore(opts);
  }

  /** The image input `input`: [batch, inChannels, resolution, resolution], float32, NCHW. */
  input(): Value {
    const { batch, inChannels, resolution } = this.opts;
    return this.b.input('input', 'float32', [batch, inChannels, resolution, resolution]);
  }

  /** Channel count (dim 1) of an NCHW or [N, C] value. */
  channels(x: Value): number {
    const c = x.shape[1];
    if (typeof c !== 'number') throw new ArgumentError(`channel dimension of '${x.name}' must be static, got ${String(c)}`, { value: x.name });
    return c;
  }

  /** A parameter (initializer) named `name`. */
  param(name: string, shape: readonly number[], init: ParamInit): Value {
    return this.b.initializer(name, this.params.get(name, shape, init));
  }

  /** Conv2d with weight `${name}.weight` [out, in/groups, k, k] and optional `${name}.bias`. */
  conv(x: Value, name: string, s: ConvSpec): Value {
    const cin = this.channels(x);
    const groups = s.groups ?? 1;
    if (cin % groups !== 0 || s.out % groups !== 0) {
      throw new ArgumentError(`conv '${name}': ${cin} input and ${s.out} output channels must both divide into ${groups} groups`, { node: name, op: 'Conv' });
    }
    const k = s.kernel;
    const stride = s.stride ?? 1;
    const dilation = s.dilation ?? 1;
    const pad = s.padding ?? Math.floor((dilation * (k - 1)) / 2);
    const fanIn = (cin / groups) * k * k;
    const w = this.param(`${name}.weight`, [s.out, cin / groups, k, k], { kind: 'kaiming-uniform', fanIn });
    const bias = s.bias ? this.param(`${name}.bias`, [s.out], { kind: 'fan-in-uniform', fanIn }) : undefined;
    const attrs = {
      kernel_shape: [k, k],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
      dilations: dilation === 1 ? undefined : [dilation, dilation],
      group: groups === 1 ? undefined : groups,
    };
    return this.b.op1('Conv', [x, w, bias], attrs, { name });
  }

  /** BatchNormalization (inference form) with `${name}.weight`, `.bias`, `.running_mean`, `.running_var`. */
  batchNorm(x: Value, name: string, eps = 1e-5): Value {
    const c = this.channels(x);
    const random = this.opts.batchNormInit === 'random';
    const p = (suffix: string, value: number, spread: number) =>
      this.param(`${name}.${suffix}`, [c], random ? { kind: 'uniform', low: value - spread, high: value + spread } : { kind: 'constant', value });
    const gamma = p('weight', 1, 0.5);
    const beta = p('bias', 0, 0.1);
    const mean = p('running_mean', 0, 0.1);
    const variance = p('running_var', 1, 0.5);
    return this.b.op1('BatchNormalization', [x, gamma, beta, mean, variance], { epsilon: eps }, { name });
  }

  /** An activation node named `name` (`'none'` returns `x`). */
  act(x: Value, kind: Activation, name: string): Value {
    switch (kind) {
      case 'none':
        return x;
      case 'relu':
        return this.b.op1('Relu', [x], {}, { name });
      case 'relu6': {
        // One pair of scalar bounds shared by every ReLU6 of the graph.
        this.relu6Bounds ??= [this.b.scalar(0, 'float32', 'relu6_min'), this.b.scalar(6, 'float32', 'relu6_max')];
        return this.b.op1('Clip', [x, ...this.relu6Bounds], {}, { name });
      }
      case 'hardswish':
        return this.b.op1('HardSwish', [x], {}, { name });
      case 'hardsigmoid':
        return this.b.op1('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 }, { name });
      case 'sigmoid':
        return this.b.op1('Sigmoid', [x], {}, { name });
    }
  }

  /** Conv + BatchNormalization + activation, named `${prefix}.0`, `.1`, `.2` (torchvision's Conv2dNormActivation). */
  convBnAct(x: Value, prefix: string, s: ConvBnActSpec): Value {
    const y = this.batchNorm(this.conv(x, `${prefix}.0`, s), `${prefix}.1`, s.eps);
    return this.act(y, s.act, `${prefix}.2`);
  }

  /** Linear layer on [N, in]: Gemm with `${name}.weight` [out, in] (transB) and `${name}.bias`. */
  linear(x: Value, name: string, out: number, bias = true): Value {
    const fanIn = this.channels(x);
    const w = this.param(`${name}.weight`, [out, fanIn], { kind: 'fan-in-uniform', fanIn });
    const b = bias ? this.param(`${name}.bias`, [out], { kind: 'fan-in-uniform', fanIn }) : undefined;
    return this.b.op1('Gemm', [x, w, b], { transB: 1 }, { name });
  }

  add(a: Value, b: Value, name: string): Value {
    return this.b.op1('Add', [a, b], {}, { name });
  }

  mul(a: Value, b: Value, name: string): Value {
    return this.b.op1('Mul', [a, b], {}, { name });
  }

  globalAveragePool(x: Value, name: string): Value {
    return this.b.op1('GlobalAveragePool', [x], {}, { name });
  }

  /** Max pooling with a square window; `ceil` rounds the output size up (PyTorch ceil_mode). */
  maxPool(x: Value, name: string, kernel: number, stride: number, pad = 0, ceil = false): Value {
    return this.b.op1('MaxPool', [x], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad], ceil_mode: ceil ? 1 : undefined }, { name });
  }

  flatten(x: Value, name: string): Value {
    return this.b.op1('Flatten', [x], { axis: 1 }, { name });
  }

  concat(xs: readonly Value[], name: string): Value {
    return this.b.op1('Concat', xs, { axis: 1 }, { name });
  }

  /** Splits along channels into parts of the given sizes. */
  split(x: Value, sizes: readonly number[], name: string): Value[] {
    return this.b.op('Split', [x, this.ints(sizes)], { axis: 1 }, { name, outputs: sizes.length });
  }

  /** Reshape; `0` copies the input dimension (so a symbolic batch passes through). */
  reshape(x: Value, shape: readonly number[], name: string): Value {
    return this.b.op1('Reshape', [x, this.ints(shape)], {}, { name });
  }

  transpose(x: Value, perm: readonly number[], name: string): Value {
    return this.b.op1('Transpose', [x], { perm }, { name });
  }

  /** An int64 1-D constant, shared by every use of the same values. */
  private ints(values: readonly number[]): Value {
    const key = values.join(',');
    let v = this.intConsts.get(key);
    if (!v) {
      v = this.b.ints(values, 'shape_const');
      this.intConsts.set(key, v);
    }
    return v;
  }

  /**
   * Squeeze-and-excitation (torchvision's SqueezeExcitation): global average pool, 1x1 conv
   * `${prefix}.fc1` to `squeeze` channels, ReLU, 1x1 conv `${prefix}.fc2` back, `gate`, and a
   * channel-wise product with `x`.
   */
  squeezeExcitation(x: Value, prefix: string, squeeze: number, gate: Activation): Value {
    const c = this.channels(x);
    let s = this.globalAveragePool(x, `${prefix}.avgpool`);
    s = this.act(this.conv(s, `${prefix}.fc1`, { out: squeeze, kernel: 1, bias: true }), 'relu', `${prefix}.activation`);
    s = this.act(this.conv(s, `${prefix}.fc2`, { out: c, kernel: 1, bias: true }), gate, `${prefix}.scale_activation`);
    return this.mul(x, s, `${prefix}.scale`);
  }

  /**
   * Ends the graph: optional Softmax, the output (`logits` or `probabilities`), the strict-weights
   * check, verification, and the model's metadata `props`.
   */
  finish(logits: Value, props: ModelProps): Graph {
    let out = logits;
    if (this.opts.includeSoftmax) out = this.b.op1('Softmax', [logits], { axis: 1 }, { name: 'softmax' });
    this.b.output(out, this.opts.includeSoftmax ? 'probabilities' : 'logits');
    const g = this.b.build();
    this.params.finish(new Set(g.initializers.keys()));
    const all: Record<string, string> = {
      'mo.model': this.opts.model,
      'mo.resolution': String(this.opts.resolution),
      'mo.numClasses': String(this.opts.numClasses),
      'mo.inChannels': String(this.opts.inChannels),
      'mo.seed': String(this.opts.seed),
    };
    for (const [k, v] of Object.entries(props)) all[`mo.${k}`] = String(v);
    return g.with({ metadata: { ...g.metadata, props: { ...(g.metadata.props ?? {}), ...all } } });
  }
}
