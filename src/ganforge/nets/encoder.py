"""Encoders ``E(x) -> z`` that invert a generator (for f-AnoGAN-style anomaly detection).

``conv_encoder`` mirrors the DCGAN discriminator (stride-2 convolutions, LeakyReLU 0.2) and
ends in a linear map to ``z_dim``; ``mlp_encoder`` does the same for vectors. The output is
unbounded because ganforge latents are N(0, I) (f-AnoGAN's tanh suits uniform latents only).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .base import Net, register_net
from .dcgan import _plan, dcgan_init


@register_net("conv_encoder", help="convolutional encoder: image (C, H, W) in [-1, 1] -> latent (z_dim,), inverts a DCGAN G")
class ConvEncoder(Net):
    """``E(x) -> z``: (N, *in_shape) images in [-1, 1] -> (N, z_dim) real latents."""

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), z_dim: int = 100, width: int = 64,
                 max_channels: int = 512) -> None:
        super().__init__()
        channels, height, width_px = in_shape
        if height != width_px:
            raise ValueError(f"conv_encoder needs square images, got in_shape={tuple(in_shape)}")
        self.in_shape, self.z_dim = tuple(in_shape), z_dim
        base, n_down = _plan(height)
        layers: list[nn.Module] = []
        cin = channels
        for i in range(n_down):
            cout = min(width * 2 ** i, max_channels)
            # layer norm over channels only (GroupNorm with one group) keeps each sample independent
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.GroupNorm(1, cout) if i else nn.Identity(), nn.LeakyReLU(0.2)]
            cin = cout
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(cin * base * base, z_dim)
        dcgan_init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 28, 28], "z_dim": 4, "width": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Images (n, *in_shape) in [-1, 1]."""
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@register_net("mlp_encoder", help="MLP encoder: vector (D,) -> latent (z_dim,), inverts an MLP G")
class MLPEncoder(Net):
    """``E(x) -> z``: (N, *in_shape) -> (N, z_dim)."""

    def __init__(self, in_shape: Sequence[int] = (2,), z_dim: int = 2, width: int = 128, depth: int = 3) -> None:
        super().__init__()
        self.in_shape, self.z_dim = tuple(in_shape), z_dim
        layers: list[nn.Module] = []
        d = math.prod(self.in_shape)
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
            d = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(d, z_dim)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [3], "z_dim": 2, "width": 8, "depth": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Vectors (n, *in_shape), standard normal."""
        return (torch.randn(n, *self.in_shape, generator=generator),)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x.reshape(x.shape[0], -1)))
