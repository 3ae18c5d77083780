/**
 * Version steps specific to one op (or one family), used by the op table. The generic ones
 * (attribute -> input, dropped attributes, negative axes) live in rules.ts.
 */
import { Tensor, formatShape, normalizeAxis, tensor, type DType, type TensorType } from '@mo/ir';
import { reject } from './errors.js';
import {
  attrToInput,
  addedAttr,
  constInts,
  dropAttr,
  dtypeOf,
  int64s,
  rankOf,
  setAttr,
  setInput,
  trimInputs,
  type RewriteCx,
  type VersionStep,
  type WorkNode,
} from './rules.js';

const F32_MAX = 3.4028234663852886e38;

// ------------------------------------------------------------------ Clip

/** Clip-11: min/max attributes became optional inputs (scalars of the input's dtype). */
export const clipBoundsToInputs: VersionStep = {
  at: 11,
  doc: 'attributes min/max became inputs 1/2',
  up: (n, cx) => {
    const dtype = dtypeOf(cx, n.inputs[0]) ?? 'float32';
    (['min', 'max'] as const).forEach((k, i) => {
      const v = n.attrs[k];
      dropAttr(n, k);
      if (typeof v === 'number') setInput(n, i + 1, cx.constant(tensor(dtype, v, []), `${n.name || 'clip'}_${k}`));
    });
  },
  down: (n, cx) => {
    (['min', 'max'] as const).forEach((k, i) => {
      const name = n.inputs[i + 1];
      if (!name) return;
      const t = cx.valueOf(name);
      if (!t) reject(`Clip ${k} must be a constant to be written at opset ${cx.opset}`);
      const v = t.get(0);
      if (Number.isFinite(v) && Math.abs(v) < F32_MAX) setAttr(n, k, v, 'float');
    });
    n.inputs.length = 1;
  },
};

// ------------------------------------------------------------------ Softmax, LogSoftmax, Hardmax

/**
 * Before opset 13 these ops flattened the input to 2-D at `axis` (default 1) and normalised over
 * the whole trailing block. When `axis` is the last dimension both semantics agree; otherwise the
 * import lowers to Flatten -> op -> Reshape, and the export transposes the axis to the end.
 */
export const softmaxCoercion: VersionStep = {
  at: 13,
  doc: 'before 13: input coerced to 2-D at axis (default 1); now: one axis (default -1). Older forms are lowered to Flatten + op + Reshape unless axis is the last dimension',
  up: (n, cx) => {
    const axis = typeof n.attrs.axis === 'number' ? n.attrs.axis : 1;
    const x = n.inputs[0];
    const type = cx.typeOf(x);
    const rank = type?.shape.length;
    if (rank !== undefined && (rank === 0 || normalizeAxis(axis, rank) === rank - 1)) {
      setAttr(n, 'axis', axis, 'int');
      return;
    }
    if (rank !== undefined && (axis < -rank || axis > rank)) reject(`axis ${axis} is out of range for rank ${rank}`);
    const [flat] = cx.emit('Flatten', [x], { axis });
    const [y] = cx.emit(n.op, [flat], { axis: -1 });
    const shape = type && type.shape.every((d) => typeof d === 'number') ? cx.constant(int64s(type.shape as number[]), `${n.name || n.op}_shape`) : cx.emit('Shape', [x])[0];
    cx.emit('Reshape', [y, shape], {}, [n.outputs[0]]);
    n.done = true;
  },
  down: (n, cx) => {
    const axis = typeof n.attrs.axis === 'number' ? n.attrs.axis : -1;
    const rank = rankOf(cx, n.inputs[0]);
    if (rank === undefined) {
      if (axis === -1) return setAttr(n, 'axis', -1, 'int');
      reject(`${n.op} over axis ${axis} needs opset >= 13 when the input rank is unknown`);
    }
    const a = normalizeAxis(axis, Math.max(rank, 1));
    if (a === rank - 1 || rank === 0) return setAttr(n, 'axis', axis, 'int');
    // Move the axis last, normalise there, move it back.
    const perm = [...Array(rank).keys()].filter((d) => d !== a).concat([a]);
    const inv = perm.map((_, d) => perm.indexOf(d));
    const [t] = cx.emit('Transpose', [n.inputs[0]], { perm });
    const [y] = cx.emit(n.op, [t], { axis: rank - 1 });
    cx.emit('Transpose', [y], { perm: inv }, [n.outputs[0]]);
    n.done = true;
  },
};

// ------------------------------------------------------------------ Concat, Split, Slice, Pad

/** Concat-1 made `axis` optional with default 1. */
export const concatAxisDefault: VersionStep = {
  at: 4,
  doc: 'axis became required (it defaulted to 1)',
  up: (n) => {
    if (n.attrs.axis === undefined) setAttr(n, 'axis', 1, 'int');
  },
  down: () => {},
};

/** Split-18: without a `split` input, `num_outputs` says how many parts (the last may be smaller). */
export const splitNumOutputs: VersionStep = {
  at: 18,
  doc: 'num_outputs attribute added (required without the split input)',
  up: (n) => {
    if (!n.inputs[1] && n.attrs.num_outputs === undefined) setAttr(n, 'num_outputs', n.outputs.length, 'int');
  },
  down: (n, cx) => {
    const k = n.attrs.num_outputs;
    dropAttr(n, 'num_outputs');
    if (typeof k !== 'number' || n.inputs[1]) return;
    const t = cx.typeOf(n.inputs[0]);
    const axis = typeof n.attrs.axis === 'number' ? n.attrs.axis : 0;
    const dim = t ? t.shape[normalizeAxis(axis, t.shape.length)] : undefined;
    if (typeof dim !== 'number') {
      reject('Split by num_outputs needs a static split dimension below opset 18');
    }
    if (dim % k === 0) return; // equal parts: the older default
    const part = Math.ceil(dim / k);
    const sizes = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
    setInput(n, 1, cx.constant(int64s(sizes), `${n.name || 'split'}_split`));
  },
};

/** Slice-10: starts/ends/axes attributes became inputs (and steps was added). */
export const sliceAttrsToInputs: VersionStep = {
  at: 10,
  doc: 'attributes starts/ends/axes became inputs 1/2/3; input steps added',
  up: (n, cx) => {
    const base = n.name || 'slice';
    (['starts', 'ends', 'axes'] as const).forEach((k, i) => {
      const v = n.attrs[k];
      dropAttr(n, k);
      if (Array.isArray(v)) setInput(n, i + 1, cx.constant(int64s(v as number[]), `${base}_${k}`));
    });
  },
  down: (n, cx) => {
    if (n.inputs[4] && constInts(n, 4, cx, 'steps').some((s) => s !== 1)) reject('Slice with steps != 1 needs opset >= 10');
    (['starts', 'ends', 'axes'] as const).forEach((k, i) => {
      if (n.inputs[i + 1]) setAttr(n, k, constInts(n, i + 1, cx, k), 'ints');
    });
    n.inputs.length = 1;
  },
};

/** Pad-1 wrote `paddings` as [x1_begin, x1_end, x2_begin, ...]; Pad-2 `pads` as [x1_begin, x2_begin, ..., x1_end, ...]. */
export const padPaddings: VersionStep = {
  at: 2,
  doc: 'attribute paddings ([begin, end] per axis) renamed pads ([all begins, all ends])',
  up: (n) => {
    const p = n.attrs.paddings as number[] | undefined;
    dropAttr(n, 'paddings');
    if (!p) return;
    const r = p.length / 2;
    setAttr(n, 'pads', [...Array(r).keys()].map((i) => p[2 * i]).concat([...Array(r).keys()].map((i) => p[2 * i + 1])), 'ints');
  },
};

/** Pad-11: pads and value attributes became inputs pads / constant_value. */
export const padAttrsToInputs: VersionStep = {
  at: 11,
  doc: 'attributes pads/value became inputs pads/constant_value',
  up: (n, cx) => {
    const pads = n.attrs.pads as number[] | undefined;
    const value = n.attrs.value;
    dropAttr(n, 'pads');
    dropAttr(n, 'value');
    if (!pads) reject('Pad needs a pads attribute');
    setInput(n, 1, cx.constant(int64s(pads), `${n.name || 'pad'}_pads`));
    if (typeof value === 'number' && value !== 0) {
      const dtype = dtypeOf(cx, n.inputs[0]) ?? 'float32';
      setInput(n, 2, cx.constant(tensor(dtype, value, []), `${n.name || 'pad'}_value`));
    }
  },
  down: (n, cx) => {
    setAttr(n, 'pads', constInts(n, 1, cx, 'pads'), 'ints');
    if (n.inputs[2]) {
      const t = cx.valueOf(n.inputs[2]);
      if (!t) reject(`Pad constant_value must be a constant to be written at opset ${cx.opset}`);
      setAttr(n, 'value', t.get(0), 'float');
    }
    n.inputs.length = 1;
  },
};

/** Pad-18 added the axes input: below 18, pads are expanded to every axis. */
export const padAxes: VersionStep = {
  at: 18,
  doc: 'input axes added',
  down: (n, cx) => {
    if (!n.inputs[3]) return trimInputs(n);
    const rank = rankOf(cx, n.inputs[0]);
    if (rank === undefined) reject('Pad with axes needs opset >= 18 when the input rank is unknown');
    const axes = constInts(n, 3, cx, 'axes').map((a) => normalizeAxis(a, rank));
    const pads = constInts(n, 1, cx, 'pads');
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i];
      full[a + rank] = pads[i + axes.length];
    });
    n.inputs[1] = cx.constant(int64s(full), `${n.name || 'pad'}_pads`);
    n.inputs.length = 3;
    trimInputs(n);
  },
};

// ------------------------------------------------------------------ BatchNormalization, Dropout

/** BatchNormalization before 9 had `spatial`; only the default (1) means what the op means today. */
export const batchNormSpatial: VersionStep = {
  at: 9,
  doc: 'attribute spatial removed (spatial=0 is not supported)',
  up: (n) => {
    if (n.attrs.spatial === 0) reject('BatchNormalization with spatial=0 (per-activation statistics) is not supported');
    dropAttr(n, 'spatial');
  },
  down: () => {},
};

/** Outputs that only training uses were redefined at 14; inference graphs never read them. */
export function trainingOutputs(at: number, doc: string): VersionStep {
  return {
    at,
    doc,
    up: (n, cx) => {
      for (let i = 1; i < n.outputs.length; i++) {
        if (n.outputs[i] && cx.used(n.outputs[i])) reject(`output ${i} ('${n.outputs[i]}') is only computed in training and is not supported`);
      }
      n.outputs.length = 1;
    },
    down: (n, cx) => {
      for (let i = 1; i < n.outputs.length; i++) if (n.outputs[i] && cx.used(n.outputs[i])) reject(`output ${i} needs opset >= ${at}`);
      n.outputs.length = 1;
    },
  };
}

/** Dropout-12: ratio attribute became an input (training_mode input added). */
export const dropoutRatio: VersionStep = {
  at: 12,
  doc: 'attribute ratio became input 1; input training_mode added',
  up: (n, cx) => {
    const r = n.attrs.ratio;
    dropAttr(n, 'ratio');
    if (typeof r === 'number') setInput(n, 1, cx.constant(tensor('float32', r, []), `${n.name || 'dropout'}_ratio`));
  },
  down: (n, cx) => {
    if (n.inputs[2]) {
      const t = cx.valueOf(n.inputs[2]);
      if (!t || t.get(0) !== 0) reject('Dropout in training mode needs opset >= 12');
    }
    if (n.inputs[1]) {
      const t = cx.valueOf(n.inputs[1]);
      if (!t) reject('Dropout ratio must be a constant below opset 12');
      setAttr(n, 'ratio', t.get(0), 'float');
    }
    n.inputs.length = 1;
  },
};

/** Dropout's mask was of the input's type before 10 (bool since). */
export const dropoutMaskType: VersionStep = {
  at: 10,
  doc: 'mask output became bool',
  up: (n, cx) => {
    if (n.outputs[1] && cx.used(n.outputs[1])) reject('Dropout mask of the input type (before opset 10) is not supported');
    n.outputs.length = 1;
  },
  down: (n, cx) => {
    if (n.outputs[1] && cx.used(n.outputs[1])) reject('Dropout mask needs opset >= 10');
    n.outputs.length = 1;
  },
};

// ------------------------------------------------------------------ Gemm, TopK, Reduce

/** Gemm-11 made C optional; older versions get a zero scalar. */
export const gemmOptionalC: VersionStep = {
  at: 11,
  doc: 'input C became optional',
  down: (n, cx) => {
    if (n.inputs[2]) return;
    setInput(n, 2, cx.constant(tensor(dtypeOf(cx, n.inputs[0]) ?? 'float32', 0, []), `${n.name || 'gemm'}_c`));
  },
};

/** ReduceX: axes attribute became an input at `at` (13 for ReduceSum, 18 for the others). */
export function reduceAxes(at: number): VersionStep[] {
  return [
    attrToInput(at, 'axes', 1),
    {
      at,
      doc: 'attribute noop_with_empty_axes added',
      down: (n, cx) => {
        const noop = n.attrs.noop_with_empty_axes;
        dropAttr(n, 'noop_with_empty_axes');
        if (noop !== 1) return;
        const axes = n.attrs.axes as number[] | undefined;
        if (!axes || axes.length === 0) {
          if (cx.direction === 'export') reject(`noop_with_empty_axes=1 without axes needs opset >= ${at}`);
        }
      },
    },
  ];
}

// ------------------------------------------------------------------ pools

/** MaxPool-8 added the Indices output and storage_order. */
export const maxPoolIndices: VersionStep = {
  at: 8,
  doc: 'output Indices and attribute storage_order added',
  down: (n) => {
    if (n.outputs[1]) reject('MaxPool Indices output needs opset >= 8');
    if (n.attrs.storage_order) reject('MaxPool storage_order needs opset >= 8');
    dropAttr(n, 'storage_order');
  },
};

/** Pools gained ceil_mode and (MaxPool) dilations at 10. */
export function poolCeilDilations(at: number, attrs: readonly ('ceil_mode' | 'dilations')[]): VersionStep {
  return {
    at,
    doc: `attribute${attrs.length > 1 ? 's' : ''} ${attrs.join(', ')} added`,
    down: (n) => {
      if ((attrs as readonly string[]).includes('ceil_mode')) {
        if (n.attrs.ceil_mode) reject(`ceil_mode=1 needs opset >= ${at}`);
        dropAttr(n, 'ceil_mode');
      }
      if ((attrs as readonly string[]).includes('dilations')) {
        const d = n.attrs.dilations as number[] | undefined;
        if (d && d.some((x) => x !== 1)) reject(`dilations other than 1 need opset >= ${at}`);
        dropAttr(n, 'dilations');
      }
    },
  };
}

/** LpPool-1/GlobalLpPool-1 had a float p. */
export const lpPoolIntP: VersionStep = {
  at: 2,
  doc: 'attribute p became an int',
  up: (n) => {
    const p = n.attrs.p;
    if (typeof p === 'number') {
      if (!Number.isInteger(p)) reject(`non-integer p=${p} is not supported`);
      setAttr(n, 'p', p, 'int');
    }
  },
};

// ------------------------------------------------------------------ Resize, Upsample

/**
 * Resize-10 (X, scales) behaves like Resize-11 with coordinate_transformation_mode 'asymmetric'
 * and nearest_mode 'floor'.
 */
export const resizeV11: VersionStep = {
  at: 11,
  doc: "inputs roi and sizes added, coordinate_transformation_mode etc. added (10 = 'asymmetric', nearest 'floor')",
  up: (n) => {
    const scales = n.inputs[1];
    n.inputs = [n.inputs[0], '', scales];
    setAttr(n, 'coordinate_transformation_mode', 'asymmetric', 'string');
    if ((n.attrs.mode ?? 'nearest') === 'nearest') setAttr(n, 'nearest_mode', 'floor', 'string');
  },
  down: (n) => {
    const mode = (n.attrs.mode as string | undefined) ?? 'nearest';
    const ctm = n.attrs.coordinate_transformation_mode ?? 'half_pixel';
    if (ctm !== 'asymmetric' || (mode === 'nearest' && (n.attrs.nearest_mode ?? 'round_prefer_floor') !== 'floor') || mode === 'cubic') {
      reject("Resize below opset 11 only does mode 'nearest' (asymmetric, floor) or 'linear' (asymmetric)");
    }
    if (n.inputs[3] || !n.inputs[2]) reject('Resize with sizes needs opset >= 11');
    for (const k of ['coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value']) dropAttr(n, k);
    n.inputs = [n.inputs[0], n.inputs[2]];
  },
};

/**
 * Resize-13 made roi and scales optional (below, empty tensors stand in for them) and dropped
 * coordinate_transformation_mode 'tf_half_pixel_for_nn' (x_in = (x_out + 0.5) / scale). With
 * nearest rounding that is 'half_pixel' with the rounding shifted by half a pixel: floor becomes
 * round_prefer_ceil and round_prefer_floor becomes ceil.
 */
export const resizeOptionalInputs: VersionStep = {
  at: 13,
  doc: "inputs roi and scales became optional; coordinate_transformation_mode 'tf_half_pixel_for_nn' removed (mapped to 'half_pixel' with shifted nearest rounding)",
  up: (n) => {
    if (n.attrs.coordinate_transformation_mode !== 'tf_half_pixel_for_nn') return;
    const mode = n.attrs.mode ?? 'nearest';
    const nearest = (n.attrs.nearest_mode as string | undefined) ?? 'round_prefer_floor';
    const mapped = { floor: 'round_prefer_ceil', round_prefer_floor: 'ceil' }[nearest as 'floor'];
    if (mode !== 'nearest' || !mapped) reject(`coordinate_transformation_mode 'tf_half_pixel_for_nn' with mode '${mode}', nearest_mode '${nearest}' is not supported`);
    setAttr(n, 'coordinate_transformation_mode', 'half_pixel', 'string');
    setAttr(n, 'nearest_mode', mapped, 'string');
  },
  down: (n, cx) => {
    const empty = () => cx.constant(new Tensor('float32', [0], new Float32Array(0)), `${n.name || 'resize'}_empty`);
    if (!n.inputs[1]) setInput(n, 1, empty());
    if (!n.inputs[2]) setInput(n, 2, empty());
  },
};

export const resizeV18: VersionStep = {
  at: 18,
  doc: 'attributes antialias, axes, keep_aspect_ratio_policy added',
  down: (n) => {
    if (n.attrs.antialias) reject('Resize antialias needs opset >= 18');
    if (n.attrs.axes !== undefined) reject('Resize axes needs opset >= 18');
    if ((n.attrs.keep_aspect_ratio_policy ?? 'stretch') !== 'stretch') reject('Resize keep_aspect_ratio_policy needs opset >= 18');
    for (const k of ['antialias', 'axes', 'keep_aspect_ratio_policy']) dropAttr(n, k);
  },
};

export const resizeV19: VersionStep = {
  at: 19,
  doc: "coordinate_transformation_mode 'half_pixel_symmetric' added",
  down: (n) => {
    if (n.attrs.coordinate_transformation_mode === 'half_pixel_symmetric') reject("coordinate_transformation_mode 'half_pixel_symmetric' needs opset >= 19");
  },
};

// ------------------------------------------------------------------ GroupNormalization

/** GroupNormalization-18 had one scale/bias per group; 21 has one per channel. */
export const groupNormPerChannel: VersionStep = {
  at: 21,
  doc: 'scale and bias became per channel (were per group)',
  up: (n, cx) => {
    const groups = n.attrs.num_groups as number;
    const c = cx.typeOf(n.inputs[0])?.shape[1];
    if (typeof c !== 'number' || !groups || c % groups) reject('GroupNormalization-18 needs a static channel count divisible by num_groups');
    for (const i of [1, 2]) {
      const t = cx.valueOf(n.inputs[i]);
      if (!t) reject('GroupNormalization-18 scale and bias must be constants');
      const per = c / groups;
      const vals = Array.from({ length: c }, (_, k) => t.get(Math.floor(k / per)));
      n.inputs[i] = cx.constant(tensor(t.dtype, vals, [c]), `${n.name || 'groupnorm'}_${i === 1 ? 'scale' : 'bias'}`);
    }
  },
  down: (n, cx) => {
    const groups = n.attrs.num_groups as number;
    for (const i of [1, 2]) {
      const t = cx.valueOf(n.inputs[i]);
      if (!t) reject('GroupNormalization below opset 21 needs constant scale and bias');
      const per = t.size / groups;
      const vals = Array.from({ length: groups }, (_, g) => t.get(g * per));
      if (t.toNumbers().some((v, k) => v !== vals[Math.floor(k / per)])) reject('GroupNormalization below opset 21 needs scale and bias equal within each group');
      n.inputs[i] = cx.constant(tensor(t.dtype, vals, [groups]), `${n.name || 'groupnorm'}_${i === 1 ? 'scale' : 'bias'}`);
    }
    dropAttr(n, 'stash_type');
  },
};

// ------------------------------------------------------------------ QuantizeLinear, DequantizeLinear

const Q8: readonly DType[] = ['int8', 'uint8'];

/** QuantizeLinear/DequantizeLinear-13 added per-axis params (`axis`). */
export const quantAxis: VersionStep = {
  at: 13,
  doc: 'per-axis quantization (attribute axis) added',
  down: (n, cx) => {
    const s = cx.typeOf(n.inputs[1]);
    if (!s || s.shape.length > 1 || (s.shape.length === 1 && s.shape[0] !== 1)) reject('per-axis quantization needs opset >= 13');
    dropAttr(n, 'axis');
  },
};

/** Opset 21 added blocked quantization, output_dtype and 4/16-bit types. */
export function quantV21(quantized: 'input' | 'output'): VersionStep {
  return {
    at: 21,
    doc: 'block_size, output_dtype and int4/uint4/int16/uint16 added',
    down: (n, cx) => {
      if (n.attrs.block_size) reject('blocked quantization needs opset >= 21');
      dropAttr(n, 'block_size');
      const od = n.attrs.output_dtype as DType | undefined;
      dropAttr(n, 'output_dtype');
      if (quantized === 'output') {
        if (od && !n.inputs[2]) {
          if (!Q8.includes(od)) reject(`QuantizeLinear to ${od} needs opset >= 21`);
          if (od !== 'uint8') setInput(n, 2, cx.constant(tensor(od, 0, []), `${n.name || 'quantize'}_zero_point`));
        }
        const z = dtypeOf(cx, n.inputs[2]);
        if (z && !Q8.includes(z)) reject(`QuantizeLinear to ${z} needs opset >= 21`);
      } else {
        const x = dtypeOf(cx, n.inputs[0]);
        if (x && !Q8.includes(x) && x !== 'int32') reject(`DequantizeLinear of ${x} needs opset >= 21`);
        if (od && od !== dtypeOf(cx, n.inputs[1])) reject('DequantizeLinear output_dtype other than the scale dtype needs opset >= 23');
      }
    },
  };
}

// ------------------------------------------------------------------ misc

/** Shape-15 added start/end. */
export const shapeStartEnd: VersionStep = {
  at: 15,
  doc: 'attributes start and end added',
  down: (n) => {
    if ((n.attrs.start ?? 0) !== 0 || n.attrs.end !== undefined) reject('Shape start/end need opset >= 15');
    dropAttr(n, 'start');
    dropAttr(n, 'end');
  },
};

/** Reductions 'min'/'max' of ScatterElements/ScatterND appeared at 18 ('add'/'mul' at 16). */
export function scatterReduction(): VersionStep[] {
  return [
    addedAttr(16, 'reduction', 'none', "attribute reduction added ('none', 'add', 'mul')"),
    {
      at: 18,
      doc: "reduction 'min' and 'max' added",
      down: (n) => {
        if (n.attrs.reduction === 'min' || n.attrs.reduction === 'max') reject(`reduction '${n.attrs.reduction}' needs opset >= 18`);
      },
    },
  ];
}

/** Readable type for messages. */
export function typeLabel(t: TensorType | undefined): string {
  return t ? `${t.dtype}${formatShape(t.shape)}` : 'unknown';
}

export type { WorkNode, RewriteCx };

/**
 * PRelu before 7: a 1-D slope of C values applied per channel (axis 1), as Caffe2 and old PyTorch
 * exports used it. Since 7 the slope broadcasts numpy-style, so it is reshaped to [C, 1, ..., 1].
 */
export const preluChannelSlope: VersionStep = {
  at: 7,
  doc: 'slope broadcasts unidirectionally (numpy); a 1-D per-channel slope is reshaped to [C, 1, ...]',
  up: (n, cx) => {
    const x = cx.typeOf(n.inputs[0]);
    const s = cx.typeOf(n.inputs[1]);
    if (!x || !s || s.shape.length !== 1 || s.shape[0] === 1 || x.shape.length < 3 || x.shape[1] !== s.shape[0]) return;
    const shape = [s.shape[0] as number, ...new Array<number>(x.shape.length - 2).fill(1)];
    const value = cx.valueOf(n.inputs[1]);
    n.inputs[1] = value ? cx.constant(value.reshape(shape), `${n.name || 'prelu'}_slope`) : cx.emit('Reshape', [n.inputs[1], cx.constant(int64s(shape), `${n.name || 'prelu'}_shape`)])[0];
  },
  down: () => {},
};
