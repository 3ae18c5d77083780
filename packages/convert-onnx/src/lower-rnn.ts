/**
 * RNN, GRU and LSTM lowered at import by unrolling over the (static) sequence length into
 * MatMul/Add/Split/activation nodes, one group per time step and direction. Gate layouts follow
 * the ONNX spec: RNN one gate, GRU z|r|h, LSTM i|o|f|c (peepholes i|o|f); B holds the input
 * biases then the recurrence biases. sequence_lens that may be shorter than the sequence mask the
 * steps past each batch element's length (state kept, output zero). LSTM input_forget is not
 * supported.
 */
import { tensor, type DType } from '@mo/ir';
import { reject } from './errors.js';
import { dtypeOf, int64s, type RewriteCx, type WorkNode } from './rules.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';
const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<Kind, readonly string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };

/** Canonical spelling of the activation names RNN attributes may use. */
const ACTIVATIONS = ['Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softsign', 'Softplus'];

export function lowerRecurrent(kind: Kind): (n: WorkNode, cx: RewriteCx) => void {
  return (n, cx) => new Unroller(kind, n, cx).run();
}

class Unroller {
  private readonly base: string;
  private readonly dtype: DType;
  private readonly hidden: number;
  private readonly seq: number;
  private readonly batch: number;
  private readonly layout: number;
  private readonly acts: string[];
  private readonly alphas: readonly number[];
  private readonly betas: readonly number[];
  private readonly clip: number | undefined;

  constructor(
    private readonly kind: Kind,
    private readonly n: WorkNode,
    private readonly cx: RewriteCx,
  ) {
    this.base = n.name || kind;
    const [x, w] = n.inputs;
    this.dtype = dtypeOf(cx, x) ?? 'float32';
    this.layout = (n.attrs.layout as number | undefined) ?? 0;
    const xt = cx.typeOf(x);
    const wt = cx.typeOf(w);
    if (!xt || xt.shape.length !== 3) reject(`${kind} needs an input X of known rank 3`);
    const [a, b] = this.layout ? [xt.shape[1], xt.shape[0]] : [xt.shape[0], xt.shape[1]];
    if (typeof a !== 'number' || typeof b !== 'number') reject(`${kind} is unrolled over time: it needs static sequence and batch sizes, got X [${xt.shape.join(',')}]`);
    this.seq = a;
    this.batch = b;
    const hs = n.attrs.hidden_size as number | undefined;
    const fromW = typeof wt?.shape[1] === 'number' ? (wt.shape[1] as number) / GATES[kind] : undefined;
    const hidden = hs ?? fromW;
    if (!hidden || !Number.isInteger(hidden)) reject(`${kind} needs hidden_size (or a W of static shape)`);
    this.hidden = hidden;
    const dirs = this.directions();
    const given = (n.attrs.activations as string[] | undefined) ?? [];
    const per = DEFAULT_ACTIVATIONS[kind].length;
    this.acts = given.length ? given.map(canonical) : Array.from({ length: per * dirs }, (_, i) => DEFAULT_ACTIVATIONS[kind][i % per]);
    if (this.acts.length !== per * dirs) reject(`${kind} needs ${per * dirs} activations, got ${this.acts.length}`);
    this.alphas = (n.attrs.activation_alpha as number[] | undefined) ?? [];
    this.betas = (n.attrs.activation_beta as number[] | undefined) ?? [];
    this.clip = n.attrs.clip as number | undefined;
    if (kind === 'LSTM' && n.attrs.input_forget) reject('LSTM input_forget=1 is not supported');
  }

  private directions(): number {
    const d = (this.n.attrs.direction as string | undefined) ?? 'forward';
    if (!['forward', 'reverse', 'bidirectional'].includes(d)) reject(`direction '${d}' is not one of 'forward', 'reverse', 'bidirectional'`);
    return d === 'bidirectional' ? 2 : 1;
  }

  private emit(op: string, inputs: string[], attrs: Record<string, number | string | number[]> = {}, outputs?: number | string[]): string[] {
    return this.cx.emit(op, inputs, attrs, outputs);
  }

  private one(op: string, inputs: string[], attrs: Record<string, number | string | number[]> = {}): string {
    return this.emit(op, inputs, attrs)[0];
  }

  private scalar(v: number, k: string): string {
    return this.cx.constant(tensor(this.dtype, v, []), `${this.base}_${k}`);
  }

  private index(i: number): string {
    return this.cx.constant(tensor('int64', BigInt(i), []), `${this.base}_i${i}`);
  }

  private ints(v: number[], k: string): string {
    return this.cx.constant(int64s(v), `${this.base}_${k}`);
  }

  /** Columns [from, to) of a 1-D or 2-D value along its last axis. */
  private slice(x: string, from: number, to: number, axis: number): string {
    return this.one('Slice', [x, this.ints([from], 'from'), this.ints([to], 'to'), this.ints([axis], 'axis')]);
  }

  /** Activation number `k` (index into the activations attribute). */
  private act(k: number, x: string): string {
    const name = this.acts[k];
    const alpha = this.alphas[k];
    const beta = this.betas[k];
    switch (name) {
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
      case 'Softsign':
      case 'Softplus':
        return this.one(name, [x]);
      case 'LeakyRelu':
      case 'ThresholdedRelu':
      case 'Elu':
        return this.one(name, [x], alpha === undefined ? {} : { alpha });
      case 'HardSigmoid':
        return this.one(name, [x], { ...(alpha === undefined ? {} : { alpha }), ...(beta === undefined ? {} : { beta }) });
      case 'Affine':
        return this.one('Add', [this.one('Mul', [x, this.scalar(alpha ?? 1, 'alpha')]), this.scalar(beta ?? 0, 'beta')]);
      case 'ScaledTanh':
        return this.one('Mul', [this.one('Tanh', [this.one('Mul', [x, this.scalar(beta ?? 1, 'beta')])]), this.scalar(alpha ?? 1, 'alpha')]);
      default:
        return reject(`activation '${name}' is not supported`);
    }
  }

  private clipped(x: string): string {
    return this.clip === undefined ? x : this.one('Clip', [x, this.scalar(-this.clip, 'clip_lo'), this.scalar(this.clip, 'clip_hi')]);
  }

  run(): void {
    const { n, kind } = this;
    const [x, w, r, b, seqLens, h0, c0, p] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => n.inputs[i] || undefined);
    // Masks only when some length may be shorter than the sequence.
    const lens = seqLens ? this.cx.valueOf(seqLens) : undefined;
    const masked = !!seqLens && (!lens || lens.toNumbers().some((v) => v !== this.seq));
    const lensType = seqLens ? (dtypeOf(this.cx, seqLens) ?? 'int32') : 'int32';
    const maskAt = (t: number) => this.one('Unsqueeze', [this.one('Less', [this.cx.constant(tensor(lensType, t, []), `${this.base}_t${t}`), seqLens!]), this.ints([1], 'axis1')]);
    const dirs = this.directions();
    const reverse = (this.n.attrs.direction ?? 'forward') === 'reverse';
    const H = this.hidden;
    const G = GATES[kind];
    const x0 = this.layout ? this.one('Transpose', [x!], { perm: [1, 0, 2] }) : x!;
    const stateAxis = this.layout ? 1 : 0;
    const zeros = () => this.cx.constant(tensor(this.dtype, new Array(this.batch * H).fill(0), [this.batch, H]), `${this.base}_zeros`);

    const ys: string[] = [];
    const hs: string[] = [];
    const cs: string[] = [];
    for (let d = 0; d < dirs; d++) {
      const backwards = reverse || d === 1;
      const di = this.index(d);
      const wT = this.one('Transpose', [this.one('Gather', [w!, di], { axis: 0 })]); // [in, G*H]
      const rd = this.one('Gather', [r!, di], { axis: 0 }); // [G*H, H]
      let xw = this.one('MatMul', [x0, wT]); // [seq, batch, G*H]
      let rb: string | undefined;
      if (b) {
        const bd = this.one('Gather', [b, di], { axis: 0 });
        const wb = this.slice(bd, 0, G * H, 0);
        rb = this.slice(bd, G * H, 2 * G * H, 0);
        xw = this.one('Add', [xw, kind === 'GRU' ? wb : this.one('Add', [wb, rb])]);
      }
      let h = h0 ? this.one('Gather', [h0, di], { axis: stateAxis }) : zeros();
      let c = kind === 'LSTM' ? (c0 ? this.one('Gather', [c0, di], { axis: stateAxis }) : zeros()) : '';
      const acts = (k: number) => d * DEFAULT_ACTIVATIONS[kind].length + k;
      // Per-kind recurrence weights, transposed once.
      const rT = kind === 'GRU' ? '' : this.one('Transpose', [rd]);
      const rzrT = kind === 'GRU' ? this.one('Transpose', [this.slice(rd, 0, 2 * H, 0)]) : '';
      const rhT = kind === 'GRU' ? this.one('Transpose', [this.slice(rd, 2 * H, 3 * H, 0)]) : '';
      const rbzr = kind === 'GRU' && rb ? this.slice(rb, 0, 2 * H, 0) : undefined;
      const rbh = kind === 'GRU' && rb ? this.slice(rb, 2 * H, 3 * H, 0) : undefined;
      let peep: string[] = [];
      if (kind === 'LSTM' && p) {
        const pd = this.one('Gather', [p, di], { axis: 0 });
        peep = [0, 1, 2].map((k) => this.slice(pd, k * H, (k + 1) * H, 0)); // i, o, f
      }
      const steps: string[] = new Array(this.seq);
      for (let s = 0; s < this.seq; s++) {
        const t = backwards ? this.seq - 1 - s : s;
        const [hPrev, cPrev] = [h, c];
        const xt = this.one('Gather', [xw, this.index(t)], { axis: 0 }); // [batch, G*H]
        if (kind === 'RNN') {
          h = this.act(acts(0), this.clipped(this.one('Add', [xt, this.one('MatMul', [h, rT])])));
        } else if (kind === 'LSTM') {
          const pre = this.one('Add', [xt, this.one('MatMul', [h, rT])]);
          let [i, o, f, g] = this.emit('Split', [pre, this.ints([H, H, H, H], 'gates')], { axis: 1 }, 4);
          if (peep.length) {
            i = this.one('Add', [i, this.one('Mul', [peep[0], c])]);
            f = this.one('Add', [f, this.one('Mul', [peep[2], c])]);
          }
          const it = this.act(acts(0), this.clipped(i));
          const ft = this.act(acts(0), this.clipped(f));
          const gt = this.act(acts(1), this.clipped(g));
          c = this.one('Add', [this.one('Mul', [ft, c]), this.one('Mul', [it, gt])]);
          if (peep.length) o = this.one('Add', [o, this.one('Mul', [peep[1], c])]);
          const ot = this.act(acts(0), this.clipped(o));
          h = this.one('Mul', [ot, this.act(acts(2), c)]);
        } else {
          const [xz, xr, xh] = this.emit('Split', [xt, this.ints([H, H, H], 'gates')], { axis: 1 }, 3);
          let hzr = this.one('MatMul', [h, rzrT]);
          if (rbzr) hzr = this.one('Add', [hzr, rbzr]);
          const [hz, hr] = this.emit('Split', [hzr, this.ints([H, H], 'zr')], { axis: 1 }, 2);
          const z = this.act(acts(0), this.clipped(this.one('Add', [xz, hz])));
          const rg = this.act(acts(0), this.clipped(this.one('Add', [xr, hr])));
          let hh: string;
          if (this.n.attrs.linear_before_reset) {
            let lin = this.one('MatMul', [h, rhT]);
            if (rbh) lin = this.one('Add', [lin, rbh]);
            hh = this.one('Mul', [rg, lin]);
          } else {
            hh = this.one('MatMul', [this.one('Mul', [rg, h]), rhT]);
            if (rbh) hh = this.one('Add', [hh, rbh]);
          }
          const cand = this.act(acts(1), this.clipped(this.one('Add', [xh, hh])));
          h = this.one('Add', [this.one('Mul', [this.one('Sub', [this.scalar(1, 'one'), z]), cand]), this.one('Mul', [z, h])]);
        }
        steps[t] = h;
        if (masked) {
          const m = maskAt(t);
          steps[t] = this.one('Where', [m, h, zeros()]);
          h = this.one('Where', [m, h, hPrev]);
          if (kind === 'LSTM') c = this.one('Where', [m, c, cPrev]);
        }
      }
      const axis0 = this.ints([0], 'axis0');
      if (n.outputs[0]) ys.push(this.one('Unsqueeze', [this.one('Concat', steps.map((v) => this.one('Unsqueeze', [v, axis0])), { axis: 0 }), this.ints([1], 'axis1')]));
      hs.push(this.one('Unsqueeze', [h, axis0]));
      if (kind === 'LSTM') cs.push(this.one('Unsqueeze', [c, axis0]));
    }
    const join = (parts: string[], axis: number) => (parts.length === 1 ? parts[0] : this.one('Concat', parts, { axis }));
    const write = (value: string, out: string | undefined, perm: number[]) => {
      if (!out) return;
      if (this.layout) this.emit('Transpose', [value], { perm }, [out]);
      else this.emit('Identity', [value], {}, [out]);
    };
    if (n.outputs[0]) write(join(ys, 1), n.outputs[0], [2, 0, 1, 3]);
    write(join(hs, 0), n.outputs[1], [1, 0, 2]);
    if (kind === 'LSTM') write(join(cs, 0), n.outputs[2], [1, 0, 2]);
  }
}

function canonical(name: string): string {
  return ACTIVATIONS.find((a) => a.toLowerCase() === name.toLowerCase()) ?? name;
}
