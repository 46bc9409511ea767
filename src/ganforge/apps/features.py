"""Intermediate features of a trained discriminator, for transfer learning and anomaly scores.

A ganforge discriminator built as ``features -> head`` exposes ``features(x, c)``; for any other
``nn.Module`` discriminator we capture the input of its last linear layer (the layer before
the logit) with a forward pre-hook, so the same call works for every net.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..errors import GanforgeError


def _last_linear(D: nn.Module) -> nn.Module:
    head = getattr(D, "head", None)
    if isinstance(head, nn.Module):
        return head
    linears = [m for m in D.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise GanforgeError(f"{type(D).__name__} has no features() method and no linear layer to hook: "
                            "cannot tell which activations are its features")
    return linears[-1]


def feature_fn(D: nn.Module, c: Tensor | None = None):
    """A function ``f(x) -> (N, F)`` giving D's flattened penultimate features (gradients flow)."""
    if hasattr(D, "features"):
        if getattr(D, "num_classes", 0) and getattr(D, "cond", "projection") == "concat" and c is None:
            raise GanforgeError("this discriminator takes class labels with its input: give labels (--class)")
        return lambda x: (D.features(x, c) if c is not None else D.features(x)).flatten(1)
    layer = _last_linear(D)

    def f(x: Tensor) -> Tensor:
        captured: list[Tensor] = []
        handle = layer.register_forward_pre_hook(lambda _m, inp: captured.append(inp[0]))
        try:
            D(x, c) if c is not None else D(x)
        finally:
            handle.remove()
        return captured[-1].flatten(1)

    return f


@torch.no_grad()
def discriminator_features(D: nn.Module, x: Tensor, labels: Tensor | None = None, batch_size: int = 256) -> Tensor:
    """Features (N, F) float32 on the CPU of inputs ``x`` (N, *D.in_shape) (images in [-1, 1]),
    computed in eval mode and in batches. ``labels`` (N,) int64 for conditional discriminators."""
    if x.shape[0] == 0:
        raise GanforgeError("no inputs to extract features from")
    if getattr(D, "pack", 1) > 1:
        raise GanforgeError("this discriminator packs several samples into one decision (PacGAN): "
                            "its features do not belong to single samples")
    was = D.training
    D.eval()
    dev = next(iter(D.parameters())).device
    outs = []
    try:
        for i in range(0, x.shape[0], batch_size):
            c = labels[i:i + batch_size].to(dev) if labels is not None else None
            outs.append(feature_fn(D, c)(x[i:i + batch_size].to(dev)).float().cpu())
    finally:
        D.train(was)
    return torch.cat(outs)
