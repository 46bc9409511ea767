"""PatchGAN discriminator (Isola et al. 2017, sec. 3.2.2 and appendix 6.1.2), also used by
CycleGAN (Zhu et al. 2017).

``n_layers`` stride-2 4x4 convolutions C64-C128-C256-... (LeakyReLU 0.2, norm on all but the
first), one stride-1 4x4 convolution, then a stride-1 4x4 convolution to one channel. Each
output logit sees a ``receptive_field(n_layers)`` square of the input: 16, 34, 70 (the
paper's default), 142, 286 px for n_layers = 1..5.

**Deviation from the discriminator contract.** ``D(y, c=x)`` returns one raw logit per
patch, shape (N, H', W'), not (N,). Every loss in ``ganforge.losses`` averages over all
elements, so they apply unchanged; a caller that needs one score per image can take
``logits.flatten(1).mean(1)``.

Conditioning (pix2pix): the input image ``x`` is concatenated to ``y`` along the channel axis,
so ``D`` judges whether ``y`` is a plausible translation *of x*. ``cond_channels = 0`` gives an
unconditional PatchGAN (CycleGAN), which then ignores ``c`` if it is None and rejects it otherwise.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import Net, register_net
from .translator import init_normal, norm2d


def patchgan_layers(n_layers: int) -> list[tuple[int, int]]:
    """(kernel, stride) of every convolution of a PatchGAN with ``n_layers`` stride-2 layers."""
    return [(4, 2)] * n_layers + [(4, 1), (4, 1)]


def receptive_field(n_layers: int) -> int:
    """Side in pixels of the input square that one output logit of ``patchgan_d`` sees.

    Walking back from one output pixel, a (kernel k, stride s) layer turns a field of r
    pixels into r * s + (k - s). n_layers=3 gives 70 (the "70x70 PatchGAN").
    """
    if n_layers < 1:
        raise ValueError(f"n_layers must be at least 1, got {n_layers}")
    r = 1
    for k, s in reversed(patchgan_layers(n_layers)):
        r = r * s + (k - s)
    return r


def patch_grid(size: int, n_layers: int) -> int:
    """Side of the logit map for an input of ``size`` px (padding 1 on every conv)."""
    for k, s in patchgan_layers(n_layers):
        size = (size + 2 - k) // s + 1
    return size


@register_net("patchgan_d", help="PatchGAN discriminator: per-patch logits (N, H', W'), conditional by concatenation")
class PatchGANDiscriminator(Net):
    """``D(y, c=x) -> logits`` of shape (N, H', W') (see the module docstring for the deviation).

    ``in_shape``: shape of one judged image ``y``. ``cond_channels``: channels of the
    conditioning image ``x`` (0: unconditional). ``norm``: ``batch`` (pix2pix),
    ``instance`` (CycleGAN), ``spectral`` or ``none``.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), cond_channels: int = 0, width: int = 64,
                 n_layers: int = 3, max_channels: int = 512, norm: str = "batch") -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"patchgan_d n_layers must be at least 1, got {n_layers}")
        self.in_shape, self.cond_channels, self.n_layers = tuple(in_shape), cond_channels, n_layers
        self.num_classes = 0
        sn = nn.utils.parametrizations.spectral_norm if norm == "spectral" else (lambda m: m)
        inner_norm = "none" if norm == "spectral" else norm
        bias = norm != "batch"
        cin = in_shape[0] + cond_channels
        layers: list[nn.Module] = []
        for i, (k, s) in enumerate(patchgan_layers(n_layers)[:-1]):
            cout = min(width * 2 ** i, max_channels)
            layers.append(sn(nn.Conv2d(cin, cout, k, s, 1, bias=bias or i == 0)))
            if i > 0:
                layers.append(norm2d(inner_norm, cout))
            layers.append(nn.LeakyReLU(0.2, True))
            cin = cout
        layers.append(sn(nn.Conv2d(cin, 1, 4, 1, 1)))
        self.body = nn.Sequential(*layers)
        self.receptive_field = receptive_field(n_layers)
        init_normal(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 16, 16], "cond_channels": 2, "width": 4, "n_layers": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Judged images y (n, *in_shape) in [-1, 1] and, when conditional, input images
        c (n, cond_channels, H, W) in [-1, 1]."""
        y = torch.rand(n, *self.in_shape, generator=generator) * 2 - 1
        if not self.cond_channels:
            return (y,)
        return y, torch.rand(n, self.cond_channels, *self.in_shape[1:], generator=generator) * 2 - 1

    def output_shape(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the logit map for an input of height x width pixels."""
        return patch_grid(height, self.n_layers), patch_grid(width, self.n_layers)

    def forward(self, y: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.cond_channels:
            if c is None:
                raise ValueError("conditional patchgan_d needs the input image c (N, "
                                 f"{self.cond_channels}, H, W)")
            if c.shape[1] != self.cond_channels or c.shape[-2:] != y.shape[-2:]:
                raise ValueError(f"patchgan_d: condition of shape {tuple(c.shape)} does not match "
                                 f"{self.cond_channels} channels at {tuple(y.shape[-2:])}")
            y = torch.cat([y, c], dim=1)
        elif c is not None:
            raise ValueError("unconditional patchgan_d (cond_channels=0) got a condition c")
        if y.shape[1] != self.in_shape[0] + self.cond_channels:
            raise ValueError(f"patchgan_d expects {self.in_shape[0]} image channels, got {tuple(y.shape)}")
        return self.body(y).squeeze(1)
