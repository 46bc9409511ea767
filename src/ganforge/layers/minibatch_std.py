"""Minibatch standard deviation (Karras et al. 2018, ProGAN section 3).

The discriminator sees, as extra feature maps, how much the samples of a small group differ
from each other. A generator that collapses to few modes produces groups with a low spread,
which the discriminator can then detect.
"""
from __future__ import annotations

import torch
from torch import nn


def _group(n: int, group_size: int) -> int:
    """The largest divisor of ``n`` that is at most ``group_size`` (so any batch size works)."""
    for g in range(min(group_size, n), 0, -1):
        if n % g == 0:
            return g
    return 1


def minibatch_stddev(x: torch.Tensor, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Append ``num_channels`` feature maps holding the group standard deviation.

    x: (N, C, H, W) -> (N, C + num_channels, H, W). Samples are split into groups of
    ``G = largest divisor of N <= group_size``; group j holds samples j, j + N/G, j + 2N/G, ...
    (the strided grouping of the reference code). For each group and each of ``num_channels``
    channel slices, the std over the group is computed per feature and pixel, averaged over
    features and pixels, and broadcast as one constant map to every member of the group.
    C must be divisible by ``num_channels``.
    """
    n, c, h, w = x.shape
    if c % num_channels:
        raise ValueError(f"minibatch_stddev: {c} channels are not divisible by num_channels={num_channels}")
    g = _group(n, group_size)
    y = x.reshape(g, n // g, num_channels, c // num_channels, h, w)
    y = y - y.mean(dim=0)                    # deviation from the group mean
    y = (y.square().mean(dim=0) + eps).sqrt()  # (N/G, F, C/F, H, W): std over the group
    y = y.mean(dim=(2, 3, 4))                # (N/G, F)
    y = y.reshape(n // g, num_channels, 1, 1).repeat(g, 1, h, w)  # back to (N, F, H, W), same strided order
    return torch.cat([x, y], dim=1)


class MinibatchStdDev(nn.Module):
    """Module form of :func:`minibatch_stddev`: (N, C, H, W) -> (N, C + num_channels, H, W)."""

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return minibatch_stddev(x, self.group_size, self.num_channels)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"
