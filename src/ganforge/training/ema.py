"""Exponential moving average of generator weights (Karras et al. 2018; Yazıcı et al. 2019)."""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """Keeps ``shadow = beta_t * shadow + (1 - beta_t) * net`` for parameters; buffers (e.g.
    batch-norm statistics) are copied. Before ``start`` steps the shadow simply follows the net.

    The decay warms up as ``beta_t = min(beta, (1 + k) / (10 + k))`` with k steps since
    ``start``, so early, poor weights do not linger in short runs (the usual EMA warm-up, as in
    TensorFlow's ExponentialMovingAverage with num_updates)."""

    def __init__(self, net: nn.Module, beta: float, start: int = 0) -> None:
        self.beta, self.start = beta, start
        self.shadow = copy.deepcopy(net).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, net: nn.Module, step: int) -> None:
        k = step - self.start
        beta = min(self.beta, (1 + k) / (10 + k)) if k >= 0 else 0.0
        src = list(net.parameters())
        dst = list(self.shadow.parameters())
        torch._foreach_lerp_(dst, src, 1.0 - beta)
        for b_dst, b_src in zip(self.shadow.buffers(), net.buffers()):
            b_dst.copy_(b_src)

    def state_dict(self) -> dict[str, Any]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.shadow.load_state_dict(state)
