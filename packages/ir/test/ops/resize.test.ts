import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributeError, DTypeError, ShapeError, Tensor, fromFunction, tensor, type Attrs, type DType, type TensorType } from '../../src/index.js';
import { expectClose, f32, i64, inferTypes, runOp1, type InferInput } from '../helpers.js';

const iota1 = (shape: readonly number[]) => fromFunction('float32', shape, (i) => i + 1);

interface ResizeInputs {
  roi?: number[];
  scales?: number[];
  sizes?: number[];
}

function resize(x: Tensor, ins: ResizeInputs, attrs: Attrs = {}): Tensor {
  return runOp1('Resize', [x, ins.roi ? f32(ins.roi) : undefined, ins.scales ? f32(ins.scales) : undefined, ins.sizes ? i64(ins.sizes) : undefined], attrs);
}

const infer = (inputs: readonly InferInput[], attrs: Attrs = {}): TensorType => inferTypes('Resize', inputs, attrs)[0];

// ---------------------------------------------------------------------------------------------
// The ONNX operator spec's Resize examples (inputs are 1..N; expected tensors as printed there).

type Example = [string, number[], ResizeInputs, Attrs, number[], number[]];
const EXAMPLES: Example[] = [
  ['downsample_scales_cubic', [1, 1, 4, 4], {scales: [1.0, 1.0, 0.8, 0.8]}, { mode: 'cubic' }, [1, 1, 3, 3], [1.47119141, 2.78125, 4.08251953, 6.71142578, 8.02148438, 9.32275391, 11.91650391, 13.2265625, 14.52783203]],
  ['downsample_scales_cubic_A_n0p5_exclude_outside', [1, 1, 4, 4], {scales: [1.0, 1.0, 0.8, 0.8]}, { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 }, [1, 1, 3, 3], [1.36812675, 2.6695014, 4.0133367, 6.57362535, 7.875, 9.2188353, 11.94896657, 13.25034122, 14.59417652]],
  ['downsample_scales_cubic_align_corners', [1, 1, 4, 4], {scales: [1.0, 1.0, 0.8, 0.8]}, { mode: 'cubic', coordinate_transformation_mode: 'align_corners' }, [1, 1, 3, 3], [1, 2.39519159, 3.79038317, 6.58076634, 7.97595793, 9.37114951, 12.16153268, 13.55672427, 14.95191585]],
  ['downsample_scales_cubic_antialias', [1, 1, 4, 4], {scales: [1.0, 1.0, 0.6, 0.6]}, { mode: 'cubic', antialias: 1 }, [1, 1, 2, 2], [2.5180721, 4.2858863, 9.589329, 11.357142]],
  ['downsample_scales_linear', [1, 1, 2, 4], {scales: [1.0, 1.0, 0.6, 0.6]}, { mode: 'linear' }, [1, 1, 1, 2], [2.6666665, 4.3333331]],
  ['downsample_scales_linear_align_corners', [1, 1, 2, 4], {scales: [1.0, 1.0, 0.6, 0.6]}, { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, [1, 1, 1, 2], [1, 3.142857]],
  ['downsample_scales_linear_antialias', [1, 1, 4, 4], {scales: [1.0, 1.0, 0.6, 0.6]}, { mode: 'linear', antialias: 1 }, [1, 1, 2, 2], [2.875, 4.5, 9.375, 11]],
  ['downsample_scales_linear_half_pixel_symmetric', [1, 1, 1, 4], {scales: [1.0, 1.0, 1.0, 0.6]}, { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, [1, 1, 1, 2], [1.6666667, 3.3333333]],
  ['downsample_scales_nearest', [1, 1, 2, 4], {scales: [1.0, 1.0, 0.6, 0.6]}, { mode: 'nearest' }, [1, 1, 1, 2], [1, 3]],
  ['downsample_sizes_cubic', [1, 1, 4, 4], {sizes: [1, 1, 3, 3]}, { mode: 'cubic' }, [1, 1, 3, 3], [1.63078704, 3.00462963, 4.37847222, 7.12615741, 8.5, 9.87384259, 12.62152778, 13.99537037, 15.36921296]],
  ['downsample_sizes_cubic_antialias', [1, 1, 4, 4], {sizes: [1, 1, 3, 3]}, { mode: 'cubic', antialias: 1 }, [1, 1, 3, 3], [1.7750092, 3.1200073, 4.4650054, 7.1550016, 8.5, 9.844998, 12.534994, 13.8799925, 15.224991]],
  ['downsample_sizes_linear_antialias', [1, 1, 4, 4], {sizes: [1, 1, 3, 3]}, { mode: 'linear', antialias: 1 }, [1, 1, 3, 3], [2.3636363, 3.590909, 4.818182, 7.2727275, 8.5, 9.727273, 12.181818, 13.409091, 14.636364]],
  ['downsample_sizes_linear_pytorch_half_pixel', [1, 1, 4, 4], {sizes: [1, 1, 3, 1]}, { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, [1, 1, 3, 1], [1.6666666, 7, 12.333333]],
  ['downsample_sizes_nearest', [1, 1, 2, 4], {sizes: [1, 1, 1, 3]}, { mode: 'nearest' }, [1, 1, 1, 3], [1, 2, 4]],
  ['downsample_sizes_nearest_not_larger', [1, 1, 2, 4], {sizes: [1, 3]}, { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }, [1, 1, 1, 2], [1, 3]],
  ['downsample_sizes_nearest_not_smaller', [1, 1, 2, 4], {sizes: [1, 3]}, { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, [1, 1, 2, 3], [1, 2, 4, 5, 6, 8]],
  ['tf_crop_and_resize', [1, 1, 4, 4], {roi: [0, 0, 0.4, 0.6, 1, 1, 0.6, 0.8], sizes: [1, 1, 3, 3]}, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' }, [1, 1, 3, 3], [7.6000004, 7.9, 8.2, 8.8, 9.1, 9.400001, 10, 10.3, 10.6]],
  ['tf_crop_and_axes_2_3', [1, 1, 4, 4], {roi: [0.4, 0.6, 0.6, 0.8], sizes: [3, 3]}, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', axes: [2, 3] }, [1, 1, 3, 3], [7.6000004, 7.9, 8.2, 8.8, 9.1, 9.400001, 10, 10.3, 10.6]],
  ['tf_crop_and_axes_3_2', [1, 1, 4, 4], {roi: [0.6, 0.4, 0.8, 0.6], sizes: [3, 3]}, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', axes: [3, 2] }, [1, 1, 3, 3], [7.6000004, 7.9, 8.2, 8.8, 9.1, 9.400001, 10, 10.3, 10.6]],
  ['tf_crop_and_extrapolation_value', [1, 1, 4, 4], {roi: [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], sizes: [1, 1, 3, 3]}, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 10.0 }, [1, 1, 3, 3], [7.6000004, 10, 10, 12.400001, 10, 10, 10, 10, 10]],
  ['upsample_scales_cubic', [1, 1, 4, 4], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'cubic' }, [1, 1, 8, 8], [0.47265625, 0.76953125, 1.24609375, 1.875, 2.28125, 2.91015625, 3.38671875, 3.68359375, 1.66015625, 1.95703125, 2.43359375, 3.0625, 3.46875, 4.09765625, 4.57421875, 4.87109375, 3.56640625, 3.86328125, 4.33984375, 4.96875, 5.375, 6.00390625, 6.48046875, 6.77734375, 6.08203125, 6.37890625, 6.85546875, 7.484375, 7.890625, 8.51953125, 8.99609375, 9.29296875, 7.70703125, 8.00390625, 8.48046875, 9.109375, 9.515625, 10.14453125, 10.62109375, 10.91796875, 10.22265625, 10.51953125, 10.99609375, 11.625, 12.03125, 12.66015625, 13.13671875, 13.43359375, 12.12890625, 12.42578125, 12.90234375, 13.53125, 13.9375, 14.56640625, 15.04296875, 15.33984375, 13.31640625, 13.61328125, 14.08984375, 14.71875, 15.125, 15.75390625, 16.23046875, 16.52734375]],
  ['upsample_scales_cubic_A_n0p5_exclude_outside', [1, 1, 4, 4], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 }, [1, 1, 8, 8], [0.55882353, 0.81494204, 1.35698249, 1.89705882, 2.39705882, 2.93713516, 3.47917561, 3.73529412, 1.58329755, 1.83941606, 2.38145651, 2.92153285, 3.42153285, 3.96160918, 4.50364964, 4.75976814, 3.75145936, 4.00757787, 4.54961832, 5.08969466, 5.58969466, 6.12977099, 6.67181144, 6.92792995, 5.91176471, 6.16788321, 6.70992366, 7.25, 7.75, 8.29007634, 8.83211679, 9.08823529, 7.91176471, 8.16788321, 8.70992366, 9.25, 9.75, 10.29007634, 10.83211679, 11.08823529, 10.07207005, 10.32818856, 10.87022901, 11.41030534, 11.91030534, 12.45038168, 12.99242213, 13.24854064, 12.24023186, 12.49635036, 13.03839082, 13.57846715, 14.07846715, 14.61854349, 15.16058394, 15.41670245, 13.26470588, 13.52082439, 14.06286484, 14.60294118, 15.10294118, 15.64301751, 16.18505796, 16.44117647]],
  ['upsample_scales_cubic_align_corners', [1, 1, 4, 4], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'cubic', coordinate_transformation_mode: 'align_corners' }, [1, 1, 8, 8], [1, 1.34110787, 1.80029155, 2.32944606, 2.67055394, 3.19970845, 3.65889213, 4, 2.36443149, 2.70553936, 3.16472303, 3.69387755, 4.03498542, 4.56413994, 5.02332362, 5.36443149, 4.20116618, 4.54227405, 5.00145773, 5.53061224, 5.87172012, 6.40087464, 6.86005831, 7.20116618, 6.31778426, 6.65889213, 7.1180758, 7.64723032, 7.98833819, 8.51749271, 8.97667638, 9.31778426, 7.68221574, 8.02332362, 8.48250729, 9.01166181, 9.35276968, 9.8819242, 10.34110787, 10.68221574, 9.79883382, 10.13994169, 10.59912536, 11.12827988, 11.46938776, 11.99854227, 12.45772595, 12.79883382, 11.63556851, 11.97667638, 12.43586006, 12.96501458, 13.30612245, 13.83527697, 14.29446064, 14.63556851, 13, 13.34110787, 13.80029155, 14.32944606, 14.67055394, 15.19970845, 15.65889213, 16]],
  ['upsample_scales_cubic_asymmetric', [1, 1, 4, 4], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'cubic', coordinate_transformation_mode: 'asymmetric' }, [1, 1, 8, 8], [1, 1.40625, 2, 2.5, 3, 3.59375, 4, 4.09375, 2.625, 3.03125, 3.625, 4.125, 4.625, 5.21875, 5.625, 5.71875, 5, 5.40625, 6, 6.5, 7, 7.59375, 8, 8.09375, 7, 7.40625, 8, 8.5, 9, 9.59375, 10, 10.09375, 9, 9.40625, 10, 10.5, 11, 11.59375, 12, 12.09375, 11.375, 11.78125, 12.375, 12.875, 13.375, 13.96875, 14.375, 14.46875, 13, 13.40625, 14, 14.5, 15, 15.59375, 16, 16.09375, 13.375, 13.78125, 14.375, 14.875, 15.375, 15.96875, 16.375, 16.46875]],
  ['upsample_scales_linear', [1, 1, 2, 2], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'linear' }, [1, 1, 4, 4], [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]],
  ['upsample_scales_linear_align_corners', [1, 1, 2, 2], {scales: [1.0, 1.0, 2.0, 2.0]}, { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, [1, 1, 4, 4], [1, 1.33333333, 1.66666667, 2, 1.66666667, 2, 2.33333333, 2.66666667, 2.33333333, 2.66666667, 3, 3.33333333, 3, 3.33333333, 3.66666667, 4]],
  ['upsample_scales_linear_half_pixel_symmetric', [1, 1, 2, 2], {scales: [1.0, 1.0, 2.3, 2.94]}, { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, [1, 1, 4, 5], [1, 1.15986395, 1.5, 1.84013605, 2, 1.56521738, 1.72508133, 2.06521738, 2.40535343, 2.56521738, 2.43478262, 2.59464657, 2.93478262, 3.27491867, 3.43478262, 3, 3.15986395, 3.5, 3.84013605, 4]],
  ['upsample_scales_nearest', [1, 1, 2, 2], {scales: [1.0, 1.0, 2.0, 3.0]}, { mode: 'nearest' }, [1, 1, 4, 6], [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]],
  ['upsample_scales_nearest_axes_2_3', [1, 1, 2, 2], {scales: [2.0, 3.0]}, { mode: 'nearest', axes: [2, 3] }, [1, 1, 4, 6], [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]],
  ['upsample_scales_nearest_axes_3_2', [1, 1, 2, 2], {scales: [3.0, 2.0]}, { mode: 'nearest', axes: [3, 2] }, [1, 1, 4, 6], [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]],
  ['upsample_sizes_cubic', [1, 1, 4, 4], {sizes: [1, 1, 9, 10]}, { mode: 'cubic' }, [1, 1, 9, 10], [0.45507922, 0.64057922, 0.97157922, 1.42257922, 1.90732922, 2.22332922, 2.70807922, 3.15907922, 3.49007922, 3.67557922, 1.39437963, 1.57987963, 1.91087963, 2.36187963, 2.84662963, 3.16262963, 3.64737963, 4.09837963, 4.42937963, 4.61487963, 2.95130693, 3.13680693, 3.46780693, 3.91880693, 4.40355693, 4.71955693, 5.20430693, 5.65530693, 5.98630693, 6.17180693, 5.20525069, 5.39075069, 5.72175069, 6.17275069, 6.65750069, 6.97350069, 7.45825069, 7.90925069, 8.24025069, 8.42575069, 6.88975, 7.07525, 7.40625, 7.85725, 8.342, 8.658, 9.14275, 9.59375, 9.92475, 10.11025, 8.57424931, 8.75974931, 9.09074931, 9.54174931, 10.02649931, 10.34249931, 10.82724931, 11.27824931, 11.60924931, 11.79474931, 10.82819307, 11.01369307, 11.34469307, 11.79569307, 12.28044307, 12.59644307, 13.08119307, 13.53219307, 13.86319307, 14.04869307, 12.38512037, 12.57062037, 12.90162037, 13.35262037, 13.83737037, 14.15337037, 14.63812037, 15.08912037, 15.42012037, 15.60562037, 13.32442078, 13.50992078, 13.84092078, 14.29192078, 14.77667078, 15.09267078, 15.57742078, 16.02842078, 16.35942078, 16.54492078]],
  ['upsample_sizes_nearest', [1, 1, 2, 2], {sizes: [1, 1, 7, 8]}, { mode: 'nearest' }, [1, 1, 7, 8], [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4]],
  ['upsample_sizes_nearest_axes_2_3', [1, 1, 2, 2], {sizes: [7, 8]}, { mode: 'nearest', axes: [2, 3] }, [1, 1, 7, 8], [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4]],
  ['upsample_sizes_nearest_axes_3_2', [1, 1, 2, 2], {sizes: [8, 7]}, { mode: 'nearest', axes: [3, 2] }, [1, 1, 7, 8], [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4]],
  ['upsample_sizes_nearest_ceil_half_pixel', [1, 1, 4, 4], {sizes: [1, 1, 8, 8]}, { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'ceil' }, [1, 1, 8, 8], [1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 11, 12, 12, 12, 9, 10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16]],
  ['upsample_sizes_nearest_floor_align_corners', [1, 1, 4, 4], {sizes: [1, 1, 8, 8]}, { mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'floor' }, [1, 1, 8, 8], [1, 1, 1, 2, 2, 3, 3, 4, 1, 1, 1, 2, 2, 3, 3, 4, 1, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6, 7, 7, 8, 5, 5, 5, 6, 6, 7, 7, 8, 9, 9, 9, 10, 10, 11, 11, 12, 9, 9, 9, 10, 10, 11, 11, 12, 13, 13, 13, 14, 14, 15, 15, 16]],
  ['upsample_sizes_nearest_not_larger', [1, 1, 2, 2], {sizes: [7, 8]}, { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }, [1, 1, 7, 7], [1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4]],
  // Spec comment is stale (shows 7 rows); scale max(7/2, 8/2) = 4 gives 8x8 of 4x4 blocks.
  ['upsample_sizes_nearest_not_smaller', [1, 1, 2, 2], {sizes: [7, 8]}, { mode: 'nearest', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, [1, 1, 8, 8], [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4]],
  ['upsample_sizes_nearest_round_prefer_ceil_asymmetric', [1, 1, 4, 4], {sizes: [1, 1, 8, 8]}, { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }, [1, 1, 8, 8], [1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 11, 12, 12, 12, 9, 10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16]],];

describe('Resize: ONNX examples', () => {
  for (const [name, shape, ins, attrs, out, expected] of EXAMPLES) {
    it(name, () => {
      const y = resize(iota1(shape), ins, attrs);
      expectClose(y, expected, { shape: out, rtol: 2e-6, atol: 2e-6 });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Test-local float64 references.

/** Source coordinate of output o for the linear/nearest checks (sizes given: scale = O / L). */
function sourceCoord(mode: string, o: number, L: number, O: number): number {
  const s = O / L;
  switch (mode) {
    case 'half_pixel':
      return (o + 0.5) / s - 0.5;
    case 'align_corners':
      return O === 1 ? 0 : (o * (L - 1)) / (O - 1);
    default:
      return o / s; // asymmetric
  }
}

function linearTaps(mode: string, o: number, L: number, O: number): [number, number, number] {
  const x = Math.min(Math.max(sourceCoord(mode, o, L, O), 0), L - 1);
  const i0 = Math.floor(x);
  return [i0, Math.min(i0 + 1, L - 1), x - i0];
}

function nearest(mode: string, x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (mode === 'floor') return f;
  if (mode === 'ceil') return Math.ceil(x);
  if (mode === 'round_prefer_ceil') return frac >= 0.5 ? f + 1 : f;
  return frac > 0.5 ? f + 1 : f;
}

const dimArb = fc.integer({ min: 1, max: 5 });
const outArb = fc.integer({ min: 1, max: 9 });

describe('Resize: against float64 formulas', () => {
  for (const mode of ['half_pixel', 'align_corners']) {
    it(`bilinear ${mode}`, () => {
      fc.assert(
        fc.property(dimArb, dimArb, outArb, outArb, fc.integer({ min: 0, max: 99 }), (H, W, OH, OW, seed) => {
          const x = fromFunction('float64', [1, 2, H, W], (i) => Math.sin(i * 1.7 + seed) * 10);
          const y = resize(x, { sizes: [1, 2, OH, OW] }, { mode: 'linear', coordinate_transformation_mode: mode });
          expect(y.shape).toEqual([1, 2, OH, OW]);
          const want: number[] = [];
          for (let c = 0; c < 2; c++) {
            for (let oy = 0; oy < OH; oy++) {
              const [y0, y1, wy] = linearTaps(mode, oy, H, OH);
              for (let ox = 0; ox < OW; ox++) {
                const [x0, x1, wx] = linearTaps(mode, ox, W, OW);
                const at = (yy: number, xx: number) => x.get((c * H + yy) * W + xx);
                want.push((1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1)));
              }
            }
          }
          expectClose(y, want, { rtol: 1e-9, atol: 1e-9 });
        }),
        { numRuns: 80 },
      );
    });
  }

  for (const ctm of ['asymmetric', 'half_pixel', 'align_corners']) {
    for (const nm of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
      it(`nearest ${ctm} ${nm}`, () => {
        fc.assert(
          fc.property(dimArb, dimArb, outArb, outArb, (H, W, OH, OW) => {
            const x = fromFunction('int32', [H, W], (i) => i * 3 - 7);
            const y = resize(x, { sizes: [OH, OW] }, { mode: 'nearest', coordinate_transformation_mode: ctm, nearest_mode: nm });
            const pick = (o: number, L: number, O: number) => Math.min(Math.max(nearest(nm, sourceCoord(ctm, o, L, O)), 0), L - 1);
            const want: number[] = [];
            for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) want.push(x.get(pick(oy, H, OH) * W + pick(ox, W, OW)));
            expect(y.toNumbers()).toEqual(want);
          }),
          { numRuns: 50 },
        );
      });
    }
  }

  it('ties: round_prefer_floor vs round_prefer_ceil at exact halves', () => {
    // asymmetric, 2 -> 4: x = 0, 0.5, 1, 1.5
    const x = tensor('float32', [10, 20], [2]);
    expect(resize(x, { scales: [2] }, { coordinate_transformation_mode: 'asymmetric' }).toNumbers()).toEqual([10, 10, 20, 20]);
    expect(resize(x, { scales: [2] }, { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }).toNumbers()).toEqual([10, 20, 20, 20]);
  });
});

describe('Resize: modes and attributes', () => {
  it('pytorch_half_pixel maps a length-1 output to coordinate 0 (spec)', () => {
    const x = fromFunction('float64', [4], (i) => i * i);
    expectClose(resize(x, { sizes: [1] }, { mode: 'cubic', coordinate_transformation_mode: 'pytorch_half_pixel' }), [0]);
    expectClose(resize(x, { sizes: [2] }, { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }), [0.5, 6.5]);
  });

  it('half_pixel_symmetric equals half_pixel when the output size is exact', () => {
    const x = iota1([1, 1, 3, 5]);
    const a = resize(x, { scales: [1, 1, 2, 0.4] }, { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' });
    const b = resize(x, { scales: [1, 1, 2, 0.4] }, { mode: 'linear' });
    expectClose(a, b.toNumbers());
  });

  it('linear interpolates any axes (trilinear, and only the listed axes)', () => {
    const x = fromFunction('float64', [2, 2, 2], (i) => i);
    // Trilinear of a linear function is exact: value = 4z + 2y + x at source coordinates.
    const y = resize(x, { sizes: [3, 3, 3] }, { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    const want: number[] = [];
    for (let z = 0; z < 3; z++) for (let yy = 0; yy < 3; yy++) for (let xx = 0; xx < 3; xx++) want.push(4 * z * 0.5 + 2 * yy * 0.5 + xx * 0.5);
    expectClose(y, want);
    const only = resize(x, { scales: [2] }, { mode: 'linear', axes: [-1], coordinate_transformation_mode: 'align_corners' });
    expect(only.shape).toEqual([2, 2, 4]);
    expectClose(only, [0, 1 / 3, 2 / 3, 1, 2, 7 / 3, 8 / 3, 3, 4, 13 / 3, 14 / 3, 5, 6, 19 / 3, 20 / 3, 7]);
  });

  it('scales give floor(input * scale) in float32', () => {
    const x = iota1([1, 10]);
    // 0.7f * 10 rounds to exactly 7 in float32 (ONNX shape inference and onnxruntime agree).
    expect(resize(x, { scales: [1, 0.7] }, { mode: 'nearest' }).shape).toEqual([1, 7]);
    expect(resize(x, { scales: [1, 0.35] }, { mode: 'nearest' }).shape).toEqual([1, 3]);
  });

  it('keep_aspect_ratio_policy rounds half up and uses one scale', () => {
    const x = iota1([1, 1, 5, 2]);
    expect(resize(x, { sizes: [3, 3] }, { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }).shape).toEqual([1, 1, 3, 1]);
    expect(resize(x, { sizes: [3, 3] }, { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }).shape).toEqual([1, 1, 8, 3]);
    expect(resize(x, { sizes: [1, 1, 3, 3] }, { keep_aspect_ratio_policy: 'not_larger' }).shape).toEqual([1, 1, 3, 1]);
    expect(resize(x, { sizes: [1, 1, 3, 3] }, { keep_aspect_ratio_policy: 'stretch' }).shape).toEqual([1, 1, 3, 3]);
  });

  it('tf_crop_and_resize extrapolates outside the input, also for nearest', () => {
    const x = iota1([1, 4]);
    const y = resize(x, { roi: [0.5, 1.5], sizes: [3] }, { mode: 'nearest', axes: [1], coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: -1 });
    // x_original = 1.5, 3, 4.5 -> 1.5 rounds half down to 1; 4.5 is outside [0, 3].
    expect(y.toNumbers()).toEqual([2, 4, -1]);
    const one = resize(x, { roi: [0, 0.2, 1, 0.6], sizes: [1, 1] }, { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' });
    // Length-1 outputs sample the middle of the roi: 0.5 * (0.2 + 0.6) * 3 = 1.2.
    expectClose(one, [2.2]);
  });

  it('antialias stretches the triangle filter by 1/scale when downsampling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 6 }), (L, O) => {
        fc.pre(O < L);
        const x = fromFunction('float64', [L], (i) => Math.cos(i * 2.3) * 5);
        const s = O / L;
        const y = resize(x, { sizes: [O] }, { mode: 'linear', antialias: 1 });
        const want = Array.from({ length: O }, (_, o) => {
          const c = (o + 0.5) / s - 0.5;
          let acc = 0;
          let wsum = 0;
          for (let j = Math.ceil(c - 1 / s); j <= Math.floor(c + 1 / s); j++) {
            const w = Math.max(0, 1 - Math.abs(j - c) * s);
            acc += w * x.get(Math.min(Math.max(j, 0), L - 1));
            wsum += w;
          }
          return acc / wsum;
        });
        expectClose(y, want, { rtol: 1e-9, atol: 1e-9 });
      }),
      { numRuns: 60 },
    );
  });

  it('antialias is plain interpolation when upsampling, and not for nearest', () => {
    const up = iota1([1, 3]);
    expectClose(resize(up, { scales: [1, 2] }, { mode: 'cubic', antialias: 1 }), resize(up, { scales: [1, 2] }, { mode: 'cubic' }).toNumbers(), { rtol: 1e-6 });
    expectClose(resize(up, { scales: [1, 2] }, { mode: 'linear', antialias: 1 }), resize(up, { scales: [1, 2] }, { mode: 'linear' }).toNumbers(), { rtol: 1e-6 });
    expect(() => resize(up, { scales: [1, 2] }, { mode: 'nearest', antialias: 1 })).toThrow(AttributeError);
  });
});

describe('Resize: dtypes', () => {
  it('nearest copies int64 beyond 2^53 and every numeric dtype exactly', () => {
    const b = 2n ** 62n + 3n;
    const y = resize(tensor('int64', [b, -b], [2]), { scales: [2] });
    expect(Array.from(y.data as BigInt64Array)).toEqual([b, b, -b, -b]);
    for (const dt of ['float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'uint64', 'int4', 'uint4'] as DType[]) {
      const x = fromFunction(dt, [3], (i) => i + 1);
      expect(resize(x, { sizes: [6] }).toNumbers(), dt).toEqual([1, 1, 2, 2, 3, 3]);
    }
  });

  it('integer outputs round half to even and saturate', () => {
    // linear half_pixel 2 -> 4 on [0, 10]: 0, 2.5, 7.5, 10 -> 0, 2, 8, 10
    expect(resize(tensor('uint8', [0, 10], [2]), { scales: [2] }, { mode: 'linear' }).toNumbers()).toEqual([0, 2, 8, 10]);
    // cubic overshoots below 0 and above 255 next to a step; uint8 saturates.
    const step = resize(tensor('uint8', [0, 0, 255, 255], [4]), { scales: [2] }, { mode: 'cubic' });
    const f = resize(tensor('float64', [0, 0, 255, 255], [4]), { scales: [2] }, { mode: 'cubic' }).toNumbers();
    expect(f.some((v) => v < 0) && f.some((v) => v > 255)).toBe(true);
    expect(step.toNumbers()).toEqual(f.map((v) => Math.min(255, Math.max(0, Math.round(v)))));
    const i4 = resize(tensor('int4', [-8, 7], [2]), { scales: [2] }, { mode: 'linear' });
    expect(i4.toNumbers()).toEqual([-8, -4, 3, 7]);
    const big = resize(tensor('int64', [0n, 2n ** 40n], [2]), { scales: [2] }, { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(Array.from(big.data as BigInt64Array)).toEqual([0n, 366503875925n, 733007751851n, 2n ** 40n]);
  });

  it('float16 input computes in float64 and rounds to float16', () => {
    const y = resize(tensor('float16', [1, 2], [2]), { scales: [1.5] }, { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(y.dtype).toBe('float16');
    expect(y.toNumbers()).toEqual([1, 1.5, 2]);
  });

  it('rejects bool', () => {
    expect(() => resize(tensor('bool', [1, 0], [2]), { scales: [2] })).toThrow(DTypeError);
  });
});

describe('Resize: errors and inference', () => {
  const x = iota1([1, 1, 2, 2]);

  it('typed errors for bad inputs and attributes', () => {
    expect(() => resize(x, { scales: [1, 1, 2, 2], sizes: [1, 1, 4, 4] })).toThrow(ShapeError);
    expect(() => resize(x, {})).toThrow(ShapeError);
    expect(() => resize(x, { scales: [2, 2] })).toThrow(/2 entries for 4/);
    expect(() => resize(x, { scales: [1, 1, 0, 2] })).toThrow(ShapeError);
    expect(() => resize(x, { sizes: [1, 1, -1, 2] })).toThrow(ShapeError);
    expect(() => resize(x, { scales: [2] }, { axes: [4] })).toThrow(AttributeError);
    expect(() => resize(x, { scales: [2, 2] }, { axes: [2, -2] })).toThrow(AttributeError);
    expect(() => resize(x, { scales: [1, 1, 2, 2] }, { mode: 'bilinear' })).toThrow(AttributeError);
    expect(() => resize(x, { scales: [1, 1, 2, 2] }, { coordinate_transformation_mode: 'tf_crop_and_resize' })).toThrow(/roi/);
    expect(() => resize(x, { scales: [1, 1, 2, 2], roi: [0, 1] }, { coordinate_transformation_mode: 'tf_crop_and_resize' })).toThrow(ShapeError);
  });

  it('treats an empty scales tensor as absent (sizes given)', () => {
    const y = runOp1('Resize', [x, undefined, tensor('float32', [], [0]), i64([1, 1, 4, 4])]);
    expect(y.shape).toEqual([1, 1, 4, 4]);
  });

  it('infers symbolic and dynamic shapes', () => {
    const t: TensorType = { dtype: 'float32', shape: ['n', 3, 'h', 8] };
    expect(infer([t, undefined, f32([2, 0.5])], { axes: [1, 3] }).shape).toEqual(['n', 6, 'h', 4]);
    expect(infer([t, undefined, f32([1, 1, 1, 2])]).shape).toEqual(['n', 3, 'h', 16]);
    expect(infer([t, undefined, undefined, i64([5, 7])], { axes: [2, 3] }).shape).toEqual(['n', 3, 5, 7]);
    const dyn = infer([t, undefined, undefined, { dtype: 'int64', shape: [2] }], { axes: [2, 3] }).shape;
    expect(dyn.slice(0, 2)).toEqual(['n', 3]);
    expect(dyn.slice(2).every((d) => typeof d === 'string')).toBe(true);
    const ratio = infer([t, undefined, undefined, i64([4, 4])], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }).shape;
    expect(typeof ratio[2]).toBe('string');
  });
});
