"""Run an exported network.onnx with onnxruntime and compare with the scores we expect.

Usage: python scripts/check_onnx.py NETWORK.onnx CHECK.json
CHECK.json: {"key": k, "xs": [[16640 floats], ...], "scores": [expected score per x]}
Prints the largest |difference| and exits 1 if it exceeds 1e-5 or the graph does not load.
"""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main():
    model_path, check_path = sys.argv[1], sys.argv[2]
    model = onnx.load(model_path)
    onnx.checker.check_model(model)
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    names_in = [i.name for i in model.graph.input]
    names_out = [o.name for o in model.graph.output]
    check = json.load(open(check_path))
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for x, want in zip(check["xs"], check["scores"]):
        key = np.array([[check["key"]]], np.float32)
        xx = np.array(x, np.float32).reshape(1, 1, 128, 130)
        k, s = sess.run(names_out, {names_in[0]: key, names_in[1]: xx})
        worst = max(worst, abs(float(s[0, 0]) - want))
        assert abs(float(k[0, 0]) - check["key"]) < 1e-6, "key not passed through"
    print(json.dumps({"opset": opset, "inputs": names_in, "outputs": names_out, "max_abs_diff": worst}))
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
