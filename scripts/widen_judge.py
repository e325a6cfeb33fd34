"""Widen or deepen a trained voice judge, as a workshop attendee would, and write it as ONNX.

Usage: python scripts/widen_judge.py IN.onnx OUT.onnx [--channels N] [--hidden M]

IN.onnx is the tutorial's judge (`idol train`): Conv(1->1, k5, s4) -> Relu -> Flatten ->
Gemm(992->1) -> Sigmoid, the key passed through Identity. OUT.onnx keeps its inputs, outputs
and opset (10) and:
  --channels N  gives the conv N output channels: channel 0 is the trained kernel, channel c
                the trained kernel mirrored (odd c) or flipped upside down (even c), scaled by
                0.8^c; the linear layer reads all N maps (the trained weights, shared out);
  --hidden M    puts a dense layer of M neurons with ReLU before the output (deterministic
                weights derived from the trained linear layer).
Such models are outside the tutorial's one-conv shape, so `idol` proves them with its layered
circuit. The model is checked with onnx.checker and run once in onnxruntime.
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=0)
    a = ap.parse_args()
    if a.channels < 1 or a.hidden < 0:
        sys.exit("widen_judge: --channels must be >= 1 and --hidden >= 0")

    src = onnx.load(a.src)
    init = {t.name: numpy_helper.to_array(t) for t in src.graph.initializer}
    try:
        w, b = init["conv1.weight"], init["conv1.bias"]
        lw, lb = init["d1.weight"], init["d1.bias"]
    except KeyError as e:
        sys.exit(f"widen_judge: {a.src} is not the tutorial's judge (no initializer {e})")
    conv = next(n for n in src.graph.node if n.op_type == "Conv")
    attrs = {x.name: helper.get_attribute_value(x) for x in conv.attribute}

    kernels = []
    for c in range(a.channels):
        k = w[0, 0]
        if c > 0:
            k = (np.fliplr(k) if c % 2 else np.flipud(k)) * 0.8**c
        kernels.append(k)
    cw = np.stack(kernels)[:, None].astype(np.float32)
    cb = np.repeat(b, a.channels).astype(np.float32)
    flat = lw.shape[1] * a.channels
    # The trained linear weights, shared out over the channels (their sum is the trained map).
    shares = np.array([0.8**c for c in range(a.channels)], dtype=np.float32)
    shares /= shares.sum()
    lin = np.concatenate([lw[0] * s for s in shares])[None].astype(np.float32)

    x_in, key_in = src.graph.input[1].name, src.graph.input[0].name
    key_out, score_out = src.graph.output[0].name, src.graph.output[1].name
    nodes = [
        helper.make_node("Identity", [key_in], [key_out], name="/Identity"),
        helper.make_node("Conv", [x_in, "conv1.weight", "conv1.bias"], ["/conv1/out"],
                         name="/conv1/Conv", **attrs),
        helper.make_node("Relu", ["/conv1/out"], ["/relu1"], name="/Relu"),
        helper.make_node("Flatten", ["/relu1"], ["/flat"], name="/Flatten", axis=1),
    ]
    inits = [
        numpy_helper.from_array(cw, "conv1.weight"),
        numpy_helper.from_array(cb, "conv1.bias"),
    ]
    last = "/flat"
    if a.hidden:
        # Each hidden neuron sees the trained map through a shifted copy of the linear weights;
        # the output layer averages them, so the score stays near the trained judge's.
        hw = np.stack([np.roll(lin[0], 7 * j) * (1.0 + 0.1 * j) for j in range(a.hidden)])
        hw = hw.astype(np.float32)
        inits += [numpy_helper.from_array(hw, "h1.weight"),
                  numpy_helper.from_array(np.full(a.hidden, 0.5, np.float32), "h1.bias")]
        nodes += [helper.make_node("Gemm", [last, "h1.weight", "h1.bias"], ["/h1/out"],
                                   name="/h1/Gemm", transB=1),
                  helper.make_node("Relu", ["/h1/out"], ["/h1/relu"], name="/h1/Relu")]
        last, flat = "/h1/relu", a.hidden
        lin = np.full((1, a.hidden), 1.0 / a.hidden, np.float32)
        lb = lb - 0.5
    inits += [numpy_helper.from_array(lin, "d1.weight"),
              numpy_helper.from_array(lb.astype(np.float32), "d1.bias")]
    nodes += [
        helper.make_node("Gemm", [last, "d1.weight", "d1.bias"], ["/d1/out"], name="/d1/Gemm",
                         transB=1),
        helper.make_node("Sigmoid", ["/d1/out"], [score_out], name="/Sigmoid"),
    ]
    graph = helper.make_graph(nodes, "voice_judge_widened", list(src.graph.input),
                              list(src.graph.output), inits)
    model = helper.make_model(graph, opset_imports=src.opset_import,
                              producer_name="cryptoidol widen_judge")
    model.ir_version = src.ir_version
    onnx.checker.check_model(model)
    onnx.save(model, a.dst)

    import onnxruntime as ort
    sess = ort.InferenceSession(a.dst, providers=["CPUExecutionProvider"])
    shape = [d.dim_value or 1 for d in src.graph.input[1].type.tensor_type.shape.dim]
    x = np.random.default_rng(0).uniform(-80, 0, shape).astype(np.float32)
    score = sess.run(None, {key_in: np.zeros((1, 1), np.float32), x_in: x})[1]
    print(f"wrote {a.dst}: conv 1->{a.channels} channels, "
          f"{'hidden ' + str(a.hidden) + ' ReLU neurons, ' if a.hidden else ''}"
          f"linear {flat}->1; onnxruntime score on a random input {float(score.ravel()[0]):.4f}")


if __name__ == "__main__":
    main()
