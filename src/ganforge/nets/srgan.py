"""SRGAN generator and discriminator (Ledig et al. 2017, fig. 4).

Generator (SRResNet): 9x9 conv + PReLU; ``n_blocks`` residual blocks (3x3 conv, batch norm,
PReLU, 3x3 conv, batch norm, plus the input); 3x3 conv + batch norm plus the output of the
first layer (long skip); log2(scale) sub-pixel upsampling stages (3x3 conv to 4x channels,
pixel shuffle x2, PReLU; Shi et al. 2016); 9x9 conv to the output channels and ``tanh``
(our images live in [-1, 1]). The paper uses 16 blocks of 64 channels.

Discriminator: 3x3 convolutions alternating stride 1 and 2 with channels 64, 64, 128, 128,
256, 256, 512, 512 (batch norm from the second on, LeakyReLU 0.2), then dense 1024,
LeakyReLU and dense 1: one raw logit per image, shape (N,). ``n_stages`` sets how many
(stride-1, stride-2) pairs there are (4 in the paper); the dense layer's input size is
computed from ``in_shape``.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .base import Net, discriminator_example_inputs, register_net
from .translator import TranslatorMixin, check_input


class SRResidualBlock(nn.Module):
    """x + conv-BN-PReLU-conv-BN(x), (N, C, H, W) -> same."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.BatchNorm2d(channels),
                                  nn.PReLU(channels), nn.Conv2d(channels, channels, 3, 1, 1),
                                  nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register_net("srgan_g", help="SRGAN/SRResNet generator: residual blocks, pixel-shuffle upsampling x2 or x4")
class SRGANGenerator(TranslatorMixin, Net):
    """``T(x) -> y``: low-res (N, *in_shape) -> high-res (N, out_channels, H*scale, W*scale), in [-1, 1]."""

    def __init__(self, in_shape: Sequence[int] = (1, 7, 7), out_channels: int | None = None, scale: int = 4,
                 width: int = 64, n_blocks: int = 16) -> None:
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"srgan_g scale must be 2, 4 or 8, got {scale}")
        c_in, h, w = in_shape
        out_channels = out_channels or c_in
        self.in_shape, self.scale = tuple(in_shape), scale
        self.out_shape = (out_channels, h * scale, w * scale)
        self.head = nn.Sequential(nn.Conv2d(c_in, width, 9, 1, 4), nn.PReLU(width))
        self.blocks = nn.Sequential(*[SRResidualBlock(width) for _ in range(n_blocks)])
        self.post = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.BatchNorm2d(width))
        up: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):
            up += [nn.Conv2d(width, width * 4, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.up = nn.Sequential(*up)
        self.tail = nn.Sequential(nn.Conv2d(width, out_channels, 9, 1, 4), nn.Tanh())

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 6, 6], "scale": 2, "width": 4, "n_blocks": 1}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Images (n, *in_shape) in [-1, 1]."""
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_shape, "srgan_g")
        h = self.head(x)
        h = h + self.post(self.blocks(h))
        return self.tail(self.up(h))


@register_net("srgan_d", help="SRGAN discriminator: VGG-style strided convs, LeakyReLU, dense layers, logits (N,)")
class SRGANDiscriminator(Net):
    """``D(y) -> logits`` of shape (N,) for high-res images (N, *in_shape) in [-1, 1]."""

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), width: int = 64, n_stages: int = 4,
                 max_channels: int = 512, hidden: int = 1024) -> None:
        super().__init__()
        c, h, w = in_shape
        self.in_shape, self.num_classes = tuple(in_shape), 0
        layers: list[nn.Module] = []
        cin = c
        for i in range(n_stages):
            cout = min(width * 2 ** i, max_channels)
            for stride in (1, 2):
                first = i == 0 and stride == 1
                layers.append(nn.Conv2d(cin, cout, 3, stride, 1))
                if not first:
                    layers.append(nn.BatchNorm2d(cout))
                layers.append(nn.LeakyReLU(0.2, True))
                cin = cout
                if stride == 2:  # a 3x3, stride-2, pad-1 conv gives ceil(size / 2)
                    h, w = (h + 1) // 2, (w + 1) // 2
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(cin * h * w, hidden), nn.LeakyReLU(0.2, True),
                                  nn.Linear(hidden, 1))

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 12, 12], "width": 4, "n_stages": 2, "hidden": 8}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """High-res images (n, *in_shape) in [-1, 1] (unconditional: no labels)."""
        return discriminator_example_inputs(self, n, generator)

    def forward(self, y: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if c is not None:
            raise ValueError("srgan_d is unconditional; got a condition c")
        if tuple(y.shape[1:]) != self.in_shape:
            raise ValueError(f"srgan_d expects images (N, {', '.join(map(str, self.in_shape))}), got {tuple(y.shape)}")
        return self.head(self.body(y)).squeeze(1)
