#!/usr/bin/python3
"""PyTorch peer of `npm run bench -w @mo/train`: training throughput of the same network.

Reads an ONNX file written by the bench (the @mo/train model, random weights), rebuilds it as a
torch.nn module node by node (Conv, BatchNormalization, Relu, Clip, Add, MaxPool,
GlobalAveragePool, Flatten, Gemm: the ops of the Fashion-MNIST models), and times training steps
(forward, cross-entropy, backward, Adam step) at the given batch size on the CPU with
torch.set_num_threads(n) for each n asked. Prints one JSON object: {"torch": version,
"results": [{"threads": n, "images_per_s": [...per round...]}]}.

  /usr/bin/python3 tools/torch-train-bench.py model.onnx --batch 64 --threads 1,2 --seconds 3 --rounds 3
"""
import argparse
import json
import time

import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(torch.nn.Module):
    """The ONNX graph as a module: initializers become parameters (BatchNorm statistics buffers)."""

    def __init__(self, model):
        super().__init__()
        g = model.graph
        self.nodes = list(g.node)
        self.input = g.input[0].name
        self.output = g.output[0].name
        inits = {t.name: torch.tensor(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.names = {}
        self.params = torch.nn.ParameterDict()
        self.bn = {}
        self.consts = {}
        stats = set()
        for n in self.nodes:
            if n.op_type == 'BatchNormalization':
                stats.update(n.input[3:5])
        for k, v in inits.items():
            key = 'p%d' % len(self.names)
            self.names[k] = key
            if k in stats:
                self.register_buffer(key, v.float())
            elif v.dtype.is_floating_point and v.dim() > 0:
                self.params[key] = torch.nn.Parameter(v.float())
            else:
                self.consts[k] = v

    def value(self, env, name):
        if name in env:
            return env[name]
        if name in self.consts:
            return self.consts[name]
        key = self.names[name]
        return self.params[key] if key in self.params else getattr(self, key)

    def forward(self, x):
        env = {self.input: x}
        for n in self.nodes:
            a = attrs_of(n)
            ins = [self.value(env, i) if i else None for i in n.input]
            op = n.op_type
            if op == 'Conv':
                p = a.get('pads', [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3], 'asymmetric pads'
                y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=a.get('strides', [1, 1]), padding=p[:2], dilation=a.get('dilations', [1, 1]), groups=a.get('group', 1))
            elif op == 'BatchNormalization':
                y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], training=self.training, momentum=1 - a.get('momentum', 0.9), eps=a.get('epsilon', 1e-5))
            elif op == 'Relu':
                y = F.relu(ins[0])
            elif op == 'Clip':
                y = torch.clamp(ins[0], float(ins[1]), float(ins[2]))
            elif op == 'Add':
                y = ins[0] + ins[1]
            elif op == 'MaxPool':
                p = a.get('pads', [0, 0, 0, 0])
                y = F.max_pool2d(ins[0], a['kernel_shape'], a.get('strides', a['kernel_shape']), p[:2])
            elif op == 'GlobalAveragePool':
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == 'Flatten':
                y = torch.flatten(ins[0], a.get('axis', 1))
            elif op == 'Gemm':
                b = ins[1].t() if a.get('transB', 0) else ins[1]
                y = ins[0] @ b
                if len(ins) > 2 and ins[2] is not None:
                    y = y + ins[2]
            else:
                raise NotImplementedError(op)
            env[n.output[0]] = y
        return env[self.output]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--seconds', type=float, default=3)
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    torch.manual_seed(0)
    net = OnnxModule(onnx.load(args.model))
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 1, 28, 28)
    t = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), t)
        loss.backward()
        opt.step()

    results = []
    for n in [int(v) for v in args.threads.split(',')]:
        torch.set_num_threads(n)
        for _ in range(3):
            step()
        rates = []
        for _ in range(args.rounds):
            k = 0
            start = time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                step()
                k += 1
            rates.append(k * args.batch / (time.perf_counter() - start))
        results.append({'threads': n, 'images_per_s': rates})
    print(json.dumps({'torch': torch.__version__, 'results': results}))


if __name__ == '__main__':
    main()
