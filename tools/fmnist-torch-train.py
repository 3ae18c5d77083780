#!/usr/bin/python3
"""Train Fashion-MNIST classifiers with PyTorch and export them to ONNX.

These are mo's "models from another trainer": the compress stages are tested on
networks mo did not train itself (issue #6). Debian's python3-torch and
python3-onnx only; the data come from Debian's dataset-fashion-mnist.

  /usr/bin/python3 tools/fmnist-torch-train.py [--out fixtures/fashion-mnist]
      [--data /usr/share/datasets/fashion-mnist] [--epochs 6] [--threads 2]

Writes torch-cnn.onnx and torch-mobilenetv2.onnx (opset 13, input "input"
[N,1,28,28] float32, output "logits" [N,10], dynamic batch) and one JSON note per
model (preprocessing, layout, measured test accuracy, command, time, seed).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean/std after x/255


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(x.astype(np.float32) / 255.0) - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(y.astype(np.int64))


class Cnn(nn.Module):
    """Plain CNN: two conv-BN-ReLU-maxpool stages and a two-layer classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = self.drop(F.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV2Small(nn.Module):
    """MobileNetV2 for 28x28 gray input: stride-1 stem, two stride-2 stages (28->14->7)."""

    # (expand, out channels, repeats, first stride), MobileNetV2's table cut to 28x28
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 2, 1), (6, 64, 2, 2), (6, 96, 1, 1)]

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6()]
        cin = 32
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 320, 1, bias=False), nn.BatchNorm2d(320), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.drop = nn.Dropout(0.2)
        self.classifier = nn.Linear(320, 10)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(self.drop(torch.flatten(x, 1)))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct


def train(name, model, data, epochs, lr, seed, log):
    (xtr, ytr), (xte, yte) = data
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    batch = 128
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    start = time.time()
    log(f"\n{name}: {sum(p.numel() for p in model.parameters()):,} parameters")
    log("epoch  train loss  train acc  test acc  seconds")
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total, correct = 0.0, 0
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            xb, yb = xtr[idx], ytr[idx]
            # random horizontal flip: Fashion-MNIST items are left-right symmetric in meaning
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            out = model(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        test_correct = evaluate(model, xte, yte)
        log(f"{epoch + 1:5d}  {total / len(xtr):10.4f}  {correct / len(xtr):9.4f}  "
            f"{test_correct / len(xte):8.4f}  {time.time() - start:7.1f}")
    return test_correct, time.time() - start


def export(model, path):
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), path, opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="fixtures/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--models", default="cnn,mobilenetv2")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data = (load(args.data, "train"), load(args.data, "test"))
    builders = {"cnn": (Cnn, 3e-3), "mobilenetv2": (MobileNetV2Small, 4e-3)}
    for name in args.models.split(","):
        torch.manual_seed(args.seed)
        cls, lr = builders[name]
        model = cls()
        correct, seconds = train(name, model, data, args.epochs, lr, args.seed, print)
        path = os.path.join(args.out, f"torch-{name}.onnx")
        export(model, path)
        # the exported file is re-scored below by mo's own tests; record what PyTorch measured
        note = {
            "model": f"torch-{name}.onnx",
            "trainer": f"PyTorch {torch.__version__} (Debian python3-torch), tools/fmnist-torch-train.py",
            "architecture": cls.__doc__,
            "dataset": "Fashion-MNIST, Debian dataset-fashion-mnist (60,000 train / 10,000 test)",
            "input": {"name": "input", "shape": ["batch", 1, 28, 28], "dtype": "float32", "layout": "NCHW"},
            "output": {"name": "logits", "shape": ["batch", 10], "meaning": "unnormalised class scores"},
            "preprocessing": {"scale": 1 / 255, "mean": MEAN, "std": STD,
                              "formula": "x = (pixel / 255 - 0.2860) / 0.3530"},
            "training": {"epochs": args.epochs, "optimizer": "AdamW wd 1e-4", "max_lr": lr,
                         "schedule": "one-cycle", "batch": 128, "label_smoothing": 0.05,
                         "augmentation": "random horizontal flip", "seed": args.seed,
                         "threads": args.threads, "seconds": round(seconds, 1)},
            "test_accuracy": correct / 10000,
            "test_correct": correct,
            "onnx_opset": 13,
            "command": "/usr/bin/python3 tools/fmnist-torch-train.py " + " ".join(sys.argv[1:]),
        }
        with open(os.path.join(args.out, f"torch-{name}.json"), "w") as f:
            json.dump(note, f, indent=2)
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path):,} bytes), test accuracy {correct / 10000:.4f}")


if __name__ == "__main__":
    main()
