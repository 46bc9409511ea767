"""Conditional batch normalization (de Vries et al. 2017; Dumoulin et al. 2017), as used by
SNGAN's and BigGAN's generators.

Activations are batch-normalised without an affine transform of their own; the per-channel
gain and bias are instead linear functions of a conditioning vector: a one-hot class label
(SNGAN: one learned (gain, bias) pair per class) or BigGAN's concatenation of a shared class
embedding and a chunk of the latent (see :mod:`ganforge.layers.hierarchical`).
"""
from __future__ import annotations

import torch
from torch import nn


class ConditionalBatchNorm2d(nn.Module):
    """``BN(x) * (1 + gain(cond)) + bias(cond)`` for x (N, C, H, W), cond (N, cond_dim).

    The gain is parametrised around 1 so that zero-initialised projections start as plain
    batch norm. With ``cond_dim=0`` there is no conditioning: the layer is an ordinary
    ``BatchNorm2d`` with a learned affine transform and ``cond`` is ignored, so that
    unconditional and conditional residual blocks share one code path.
    """

    def __init__(self, num_features: int, cond_dim: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features, self.cond_dim = num_features, cond_dim
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=cond_dim == 0)
        if cond_dim:
            self.gain = nn.Linear(cond_dim, num_features)
            self.bias = nn.Linear(cond_dim, num_features)
            for lin in (self.gain, self.bias):
                nn.init.zeros_(lin.weight)
                nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        out = self.bn(x)
        if not self.cond_dim:
            return out
        if cond is None or cond.shape != (x.shape[0], self.cond_dim):
            got = None if cond is None else tuple(cond.shape)
            raise ValueError(f"ConditionalBatchNorm2d needs cond of shape {(x.shape[0], self.cond_dim)}, got {got}")
        gain = 1.0 + self.gain(cond)
        return out * gain[:, :, None, None] + self.bias(cond)[:, :, None, None]

    def extra_repr(self) -> str:
        return f"{self.num_features}, cond_dim={self.cond_dim}"
