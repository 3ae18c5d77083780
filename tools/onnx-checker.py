#!/usr/bin/python3
"""Checks ONNX files with the official checker (onnx.checker, full_check: includes strict shape
inference). Used by @mo/convert-onnx's tests on exported models; needs Debian's python3-onnx
(run with /usr/bin/python3). Prints one JSON line per file: {"file", "ok", "error"}; exit code 1
when any file fails.

Usage: /usr/bin/python3 tools/onnx-checker.py model1.onnx [model2.onnx ...]
"""
import json
import sys

import onnx
import onnx.checker


def check(path):
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        return {"file": path, "ok": True}
    except Exception as e:  # the checker raises several exception types
        return {"file": path, "ok": False, "error": str(e).strip().splitlines()[0][:500]}


def main(paths):
    failed = 0
    for p in paths:
        r = check(p)
        failed += 0 if r["ok"] else 1
        print(json.dumps(r))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
