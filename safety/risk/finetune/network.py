"""multilingual-e5-small in PyTorch, with low-rank adapters, for fine-tuning only.

The network is the one `safety.risk.encoder.graph` writes out as ONNX, built from the
same pinned weights: word rows, position and type embeddings, post-layer-norm BERT
layers, and the mean of the token states of the pooled layers, each made unit length
and put side by side. Every linear map gets a low-rank adapter (`B·A`, B starting at
zero, so training starts from the published model, or from the fine-tuned one a
student is distilled from); the pinned weights stay frozen.
The trainer saves the factors, and `safety.risk.encoder.adapter` merges them into the
matrices the graph builder quantises.

Production never imports this module: PyTorch is needed to train, not to screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from safety.risk.encoder.adapter import Adapter
from safety.risk.encoder.weights import LINEARS, NORMS, E5Weights


def _straight_through(exact: torch.Tensor, rounded: torch.Tensor) -> torch.Tensor:
    return exact + (rounded - exact).detach()


def _as_stored(factor: torch.Tensor) -> torch.Tensor:
    """The factor as the adapter file keeps it (half precision)."""
    return _straight_through(factor, factor.half().float())


def _weight_int8(weight: torch.Tensor) -> torch.Tensor:
    """Symmetric 8 bits per output channel (a row here), as the quantiser stores it."""
    scale = weight.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127
    return _straight_through(weight, torch.round(weight / scale).clamp(-127, 127) * scale)


def _activation_int8(x: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Unsigned 8 bits over each message's whole tensor, its range stretched to hold 0
    (DynamicQuantizeLinear). Padding is set to 0 first, which leaves that range as it is."""
    real = x * present[:, :, None]
    low = real.flatten(1).amin(1).clamp(max=0)[:, None, None]
    high = real.flatten(1).amax(1).clamp(min=0)[:, None, None]
    scale = ((high - low) / 255).clamp(min=1e-12)
    zero = torch.round(-low / scale).clamp(0, 255)
    rounded = (torch.round(x / scale) + zero).clamp(0, 255)
    return _straight_through(x, (rounded - zero) * scale)


class AdaptedLinear(nn.Module):
    """A frozen linear map plus a trainable low-rank update."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, rank: int, alpha: float) -> None:
        super().__init__()
        self.register_buffer("weight", torch.from_numpy(weight.copy()))
        self.register_buffer("bias", torch.from_numpy(bias.copy()))
        out_features, in_features = weight.shape
        self.down = nn.Parameter(torch.empty(rank, in_features))
        nn.init.kaiming_uniform_(self.down, a=math.sqrt(5))
        self.up = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """As production computes it: the merged matrix and the input both rounded the
        way ONNX Runtime's dynamic 8-bit quantisation rounds them (straight through for
        the gradient), so training sees the model the screen will run."""
        up, down = _as_stored(self.up * self.scale), _as_stored(self.down)
        merged = self.weight + up @ down
        return F.linear(_activation_int8(x, present), _weight_int8(merged), self.bias)

    def delta(self) -> tuple[np.ndarray, np.ndarray]:
        """(up · scale, down): the update is their product."""
        with torch.no_grad():
            return (self.up * self.scale).numpy().copy(), self.down.numpy().copy()


class Layer(nn.Module):
    def __init__(self, tensors: dict[str, np.ndarray], heads: int, eps: float, rank: int,
                 alpha: float) -> None:  # fmt: skip
        super().__init__()
        self.heads = heads
        self.linears = nn.ModuleDict(
            {n: AdaptedLinear(tensors[f"{n}.w"], tensors[f"{n}.b"], rank, alpha) for n in LINEARS}
        )
        self.norms = nn.ModuleDict()
        for name in NORMS:
            norm = nn.LayerNorm(tensors[f"{name}.w"].shape[0], eps=eps)
            with torch.no_grad():
                norm.weight.copy_(torch.from_numpy(tensors[f"{name}.w"]))
                norm.bias.copy_(torch.from_numpy(tensors[f"{name}.b"]))
            norm.requires_grad_(False)
            self.norms[name] = norm

    def forward(self, x: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        batch, tokens, hidden = x.shape
        mask = (1.0 - present) * -1e9
        size = hidden // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, tokens, self.heads, size).transpose(1, 2)

        q, k, v = (split(self.linears[n](x, present)) for n in ("q", "k", "v"))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(size) + mask[:, None, None, :]
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, tokens, hidden)
        x = self.norms["aln"](x + self.linears["ao"](context, present))
        inner = F.gelu(self.linears["fi"](x, present))
        return self.norms["oln"](x + self.linears["fo"](inner, present))


class AdaptedEncoder(nn.Module):
    """Word rows in, the pooled embedding (production's `Encoder._embed`) out.

    `source` names the model's layer (1-based) each layer starts from; `base`, an
    adapter already trained, is merged into the frozen weights first (by its own
    `merge`, as the graph builder merges), so a smaller encoder can start from the
    fine-tuned one's layers and learn a further update on top."""

    def __init__(self, weights: E5Weights, source: Sequence[int], pooled: tuple[int, ...],
                 rank: int, alpha: float, base: Adapter | None = None) -> None:  # fmt: skip
        super().__init__()
        shape = weights.shape
        self.pooled = pooled
        self.register_buffer(
            "positions", torch.from_numpy(weights.vector("emb.pos").reshape(-1, shape.hidden))
        )
        type_row = weights.vector("emb.type")[: shape.hidden]
        self.register_buffer("type_row", torch.from_numpy(type_row))
        self.embedding_norm = nn.LayerNorm(shape.hidden, eps=shape.epsilon)
        with torch.no_grad():
            self.embedding_norm.weight.copy_(torch.from_numpy(weights.vector("emb.ln.w")))
            self.embedding_norm.bias.copy_(torch.from_numpy(weights.vector("emb.ln.b")))
        self.embedding_norm.requires_grad_(False)
        self.source = tuple(source)
        self.layers = nn.ModuleList(
            Layer(self._tensors(weights, m, base), shape.heads, shape.epsilon, rank, alpha)
            for m in self.source
        )

    @staticmethod
    def _tensors(weights: E5Weights, model_layer: int, base: Adapter | None) -> dict[str, Any]:
        tensors = weights.layer(model_layer - 1)
        if base is not None:
            base.merge(base.source.index(model_layer), tensors)
        return tensors

    def forward(self, rows: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """`rows` [batch, tokens, hidden] word rows, `present` [batch, tokens] 1/0."""
        tokens = rows.shape[1]
        x = self.embedding_norm(rows + self.positions[:tokens] + self.type_row)
        weights = present / present.sum(1, keepdim=True)
        pooled = []
        for index, layer in enumerate(self.layers, start=1):
            x = layer(x, present)
            if index in self.pooled:
                mean = (x * weights[:, :, None]).sum(1)
                pooled.append(F.normalize(mean, dim=-1))
        return torch.cat(pooled, dim=-1) / math.sqrt(len(pooled))
