"""Exponential moving average of generator weights (Karras et al. 2018; Yazıcı et al. 2019)."""
from __future__ import annotations

import copy
from typing import Any, Callable

import torch
from torch import nn

#: batches of the training batch size that re-estimate the EMA generator's batch-norm statistics
STANDING_BATCHES = 64


def batch_norms(net: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """The batch-norm layers of ``net`` that keep running statistics."""
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def refresh_batch_norm(net: nn.Module, forward: Callable[[nn.Module, torch.Generator], Any], batches: int,
                       seed: int) -> None:
    """Re-estimate the running statistics of ``net``'s batch-norm layers from ``batches`` calls
    of ``forward(net, generator)`` (the "standing statistics" of BigGAN, Brock et al. 2019): the
    layers average the batch statistics of the calls with equal weights, in training mode;
    every other module stays as it was (dropout in eval mode). Latents come from a
    ``torch.Generator`` seeded with ``seed``; the global torch RNG (CPU, current GPU), the modules' modes and the
    layers' momentum are restored, so nothing else changes."""
    norms = batch_norms(net)
    if not norms:
        return
    cuda = [torch.cuda.current_device()] if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=cuda):  # the global torch RNG (CPU, current GPU) is restored
        _refresh(net, norms, forward, batches, seed)


def _refresh(net: nn.Module, norms: list[nn.modules.batchnorm._BatchNorm],
             forward: Callable[[nn.Module, torch.Generator], Any], batches: int, seed: int) -> None:
    modes = [(m, m.training) for m in net.modules()]
    momenta = [m.momentum for m in norms]
    gen = torch.Generator().manual_seed(seed)
    try:
        net.eval()
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calls
            m.train()
        for _ in range(batches):
            forward(net, gen)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        for m, was in modes:
            m.training = was


class EMA:
    """Keeps ``shadow = beta_t * shadow + (1 - beta_t) * net`` for parameters; buffers (e.g.
    batch-norm statistics) are copied. Before ``start`` steps the shadow simply follows the net.

    The decay warms up as ``beta_t = min(beta, (1 + k) / (10 + k))`` with k steps since
    ``start``, so early, poor weights do not linger in short runs (the usual EMA warm-up, as in
    TensorFlow's ExponentialMovingAverage with num_updates).

    The copied batch-norm statistics are those of the live net's activations, not of the
    averaged weights'. :meth:`export` gives a copy of the shadow whose statistics are
    re-estimated from its own forward passes (:func:`refresh_batch_norm`): that copy is what is
    exported, sampled and evaluated. The shadow itself (and so the checkpoint) is never touched
    by it, whether or not anything was exported."""

    def __init__(self, net: nn.Module, beta: float, start: int = 0) -> None:
        self.beta, self.start = beta, start
        self.shadow = copy.deepcopy(net).eval().requires_grad_(False)
        self._exported: nn.Module | None = None  # the shadow with its own batch-norm statistics
        self._stale = True  # the shadow changed since _exported was made

    @torch.no_grad()
    def update(self, net: nn.Module, step: int) -> None:
        k = step - self.start
        beta = min(self.beta, (1 + k) / (10 + k)) if k >= 0 else 0.0
        src = list(net.parameters())
        dst = list(self.shadow.parameters())
        torch._foreach_lerp_(dst, src, 1.0 - beta)
        for b_dst, b_src in zip(self.shadow.buffers(), net.buffers()):
            b_dst.copy_(b_src)
        self._stale = True

    def export(self, forward: Callable[[nn.Module, torch.Generator], Any], seed: int,
               batches: int = STANDING_BATCHES) -> nn.Module:
        """The shadow's weights with batch-norm statistics of their own (a separate module,
        remade at most once per update; the shadow itself when it has no batch norm).
        ``forward(net, generator)`` runs one batch through ``net``."""
        if not batch_norms(self.shadow):
            return self.shadow
        if self._stale or self._exported is None:
            if self._exported is None:
                self._exported = copy.deepcopy(self.shadow)
            else:
                self._exported.load_state_dict(self.shadow.state_dict())
            refresh_batch_norm(self._exported, forward, batches, seed)
            self._stale = False
        return self._exported

    def state_dict(self) -> dict[str, Any]:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.shadow.load_state_dict(state)
        self._stale = True
