/**
 * A fast subset of the ONNX backend conformance suite (the full run is `npm run
 * test:conformance`): common ops at several opsets, each loaded, run by the reference interpreter,
 * compared with the suite's expected outputs, and round-tripped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainDifference, run } from '@mo/ir';
import { parseOnnx, parseOnnxTensor, saveOnnx } from '../src/index.js';
// @ts-expect-error plain JS shared with the conformance command
import { compareTensors, listCases, loadCase } from './conformance/cases.mjs';

const ROOT = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
const SUBSET = [
  'node/test_abs', 'node/test_add_bcast', 'node/test_averagepool_2d_pads', 'node/test_batchnorm_example', 'node/test_cast_FLOAT_to_FLOAT16',
  'node/test_clip', 'node/test_concat_3d_axis_negative_1', 'node/test_conv_with_strides_and_asymmetric_padding', 'node/test_convtranspose_pads',
  'node/test_depthtospace_crd_mode', 'node/test_dequantizelinear_axis', 'node/test_dropout_default', 'node/test_flatten_negative_axis1',
  'node/test_gather_1', 'node/test_gemm_default_single_elem_vector_bias', 'node/test_globalaveragepool', 'node/test_layer_normalization_4d_axis1',
  'node/test_leakyrelu', 'node/test_logsoftmax_axis_1', 'node/test_matmul_3d', 'node/test_maxpool_2d_ceil', 'node/test_constant_pad',
  'node/test_qlinearconv', 'node/test_qlinearmatmul_2D', 'node/test_quantizelinear_axis', 'node/test_reduce_mean_keepdims_random',
  'node/test_reduce_sum_negative_axes_keepdims_random', 'node/test_reshape_negative_extended_dims', 'node/test_resize_upsample_scales_linear',
  'node/test_shape', 'node/test_slice_negative_axes', 'node/test_softmax_axis_0', 'node/test_split_variable_parts_2d', 'node/test_squeeze_negative_axes',
  'node/test_sum_two_inputs', 'node/test_tile', 'node/test_top_k', 'node/test_transpose_all_permutations_2', 'node/test_unsqueeze_two_axes',
  'node/test_upsample_nearest', 'node/test_where_example', 'node/test_shrink_soft', 'node/test_if',
  'pytorch-converted/test_BatchNorm2d_eval', 'pytorch-converted/test_Conv2d_depthwise_strided', 'pytorch-converted/test_PReLU_2d_multiparam',
  'pytorch-converted/test_GLU', 'pytorch-converted/test_log_softmax_dim3', 'pytorch-operator/test_operator_maxpool', 'simple/test_sign_model',
];

type Case = { id: string; model: string; sets: { name: string; dir: string }[] };
const available = existsSync(ROOT);
const cases: Case[] = available ? (listCases(ROOT, ['node', 'simple', 'pytorch-converted', 'pytorch-operator']) as Case[]).filter((c) => SUBSET.includes(c.id)) : [];

// CI installs libonnx-testdata, so there missing data is a failure, not a skip.
describe.skipIf(!available && !process.env.CI)(`ONNX conformance subset (${ROOT})`, () => {
  it('finds every case of the subset', () => {
    expect(cases.map((c) => c.id).sort()).toEqual([...SUBSET].sort());
  });

  it.each(cases)('$id', (c) => {
    const graph = parseOnnx(readFileSync(c.model));
    expect(explainDifference(graph, parseOnnx(saveOnnx(graph)))).toBeUndefined();
    for (const set of c.sets) {
      const { feeds, expected } = loadCase(graph, set, parseOnnxTensor);
      const actual = run(graph, feeds);
      graph.outputs.forEach((o, k) => expect(compareTensors(actual[o.name], expected[k], 1e-3, 1e-7), `${set.name} ${o.name}`).toBeUndefined());
    }
  });
});
