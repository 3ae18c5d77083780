#!/usr/bin/python3
"""Runs a .tflite file with Arm NN's TFLite parser (Debian python3-pyarmnn) on the CpuRef backend.

An independent consumer of @mo/convert-tflite's files: Arm NN parses the flatbuffer with its own
reader and runs its own reference kernels. Usage:

    /usr/bin/python3 tools/armnn-run.py MODEL.tflite INPUT.bin OUTPUT.bin

INPUT.bin holds the first input's elements in its own type (float32 or int8/uint8), little endian;
OUTPUT.bin receives the first output's elements the same way. A JSON line on stdout describes both
tensors (name, Arm NN data type, shape, quantization). Arm NN aborts the process on some models,
so callers run this script in a subprocess.
"""
import json
import sys

import numpy as np

import pyarmnn as ann

DTYPES = {
    ann.DataType_Float32: ('float32', np.float32),
    ann.DataType_QAsymmS8: ('int8', np.int8),
    ann.DataType_QSymmS8: ('int8', np.int8),
    ann.DataType_QAsymmU8: ('uint8', np.uint8),
    ann.DataType_Signed32: ('int32', np.int32),
}


def describe(info):
    t = info[1]
    name, _ = DTYPES.get(t.GetDataType(), (str(t.GetDataType()), None))
    shape = [t.GetShape()[i] for i in range(t.GetNumDimensions())]
    return {'dtype': name, 'shape': shape, 'scale': t.GetQuantizationScale(), 'zeroPoint': t.GetQuantizationOffset()}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model, input_path, output_path = sys.argv[1:]
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(model)
    in_name = parser.GetSubgraphInputTensorNames(0)[0]
    out_name = parser.GetSubgraphOutputTensorNames(0)[0]
    in_info = parser.GetNetworkInputBindingInfo(0, in_name)
    out_info = parser.GetNetworkOutputBindingInfo(0, out_name)

    runtime = ann.IRuntime(ann.CreationOptions())
    optimized, messages = ann.Optimize(network, [ann.BackendId('CpuRef')], runtime.GetDeviceSpec(), ann.OptimizerOptions())
    net_id, _ = runtime.LoadNetwork(optimized)

    in_type = DTYPES[in_info[1].GetDataType()][1]
    data = np.fromfile(input_path, dtype=in_type)
    if data.size != in_info[1].GetNumElements():
        sys.exit('input has %d elements, the model wants %d' % (data.size, in_info[1].GetNumElements()))
    inputs = ann.make_input_tensors([in_info], [data])
    outputs = ann.make_output_tensors([out_info])
    runtime.EnqueueWorkload(net_id, inputs, outputs)
    result = ann.workload_tensors_to_ndarray(outputs)[0]
    result.astype(DTYPES[out_info[1].GetDataType()][1]).tofile(output_path)
    print(json.dumps({'armnn': ann.ARMNN_VERSION, 'input': dict(name=in_name, **describe(in_info)),
                      'output': dict(name=out_name, **describe(out_info)), 'messages': [str(m) for m in messages]}))


if __name__ == '__main__':
    main()
