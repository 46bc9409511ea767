"""SNGAN ResNet generator and discriminator (Miyato et al. 2018, "Spectral Normalization for
Generative Adversarial Networks", appendix B.4; conditional version from Miyato & Koyama 2018,
"cGANs with Projection Discriminator").

- G: dense layer to a 4x4 map (7x7 at 28 px), up-sampling residual blocks
  (:class:`ganforge.layers.resblocks.GBlock`), BN, ReLU, 3x3 conv, tanh. Conditional: batch
  norms with one learned (gain, bias) pair per class, i.e. conditional BN driven by the
  one-hot label (:class:`ganforge.layers.cond_batchnorm.ConditionalBatchNorm2d`).
- D: residual blocks (:class:`ganforge.layers.resblocks.DBlock`), ReLU, global sum pooling,
  linear; spectral normalization on every layer (:func:`ganforge.layers.spectral.apply_spectral_norm`);
  conditional via the projection term ``<embed(y), h>``.
- Hinge loss, Adam(2e-4, beta1=0, beta2=0.9), n_dis=5: the family's configuration.

Defaults are CPU-sized; the paper's CIFAR-10 nets are ``sngan_g(ch=64)`` (256 channels) and
``sngan_d(ch=32)`` (128 channels) at 32 px.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import (ConditionalBatchNorm2d, DBlock, FeatureHeadDiscriminator, GBlock, ProjectionHead,
                      apply_spectral_norm, resnet_d_layout, resnet_g_layout)
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net
from .mlp import GeneratorMixin


def _xavier_init(module: nn.Module, residual: list[nn.Module]) -> None:
    """Glorot-uniform weights as in the reference code: gain sqrt(2) in residual 3x3 convs, 1
    elsewhere. The class-conditional gains and biases keep their identity initialisation."""
    res_ids = {id(m) for m in residual}
    in_cbn = {id(m) for bn in module.modules() if isinstance(bn, ConditionalBatchNorm2d) for m in bn.modules()}
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in in_cbn:
            nn.init.xavier_uniform_(m.weight, math.sqrt(2.0) if id(m) in res_ids else 1.0)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _residual_convs(blocks: nn.ModuleList) -> list[nn.Module]:
    return [conv for b in blocks for conv in (b.conv1, b.conv2)]


@register_net("sngan_g", help="SNGAN ResNet generator (Miyato et al. 2018), class-conditional BN when num_classes > 0")
class SNGANGenerator(GeneratorMixin, Net):
    """``G(z, c) -> x`` in [-1, 1] of shape (N, *out_shape); 28, 32, 64, 128, 256 or 512 px."""

    def __init__(self, z_dim: int = 128, out_shape: Sequence[int] = (3, 32, 32), num_classes: int = 0,
                 ch: int = 32) -> None:
        super().__init__()
        channels, base, widths = resnet_g_layout(out_shape, ch, "SNGAN")
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        self.base, self.c0 = base, widths[0]
        self.linear = nn.Linear(z_dim, widths[0] * base * base)
        self.blocks = nn.ModuleList(GBlock(a, b, num_classes) for a, b in zip(widths[:-1], widths[1:]))
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(), nn.Conv2d(widths[-1], channels, 3, padding=1))
        _xavier_init(self, _residual_convs(self.blocks))

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "out_shape": [1, 28, 28], "num_classes": 3, "ch": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cond = None
        if self.num_classes:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            cond = F.one_hot(c.long(), self.num_classes).to(z.dtype)
        h = self.linear(z).view(z.shape[0], self.c0, self.base, self.base)
        for block in self.blocks:
            h = block(h, cond)
        return torch.tanh(self.out(h))


@register_net("sngan_d", help="SNGAN ResNet discriminator: spectral norm everywhere, projection when conditional")
class SNGANDiscriminator(FeatureHeadDiscriminator, Net):
    """``D(x, c) -> logits`` (N,) for x (N, *in_shape)."""

    def __init__(self, in_shape: Sequence[int] = (3, 32, 32), num_classes: int = 0, ch: int = 32) -> None:
        super().__init__()
        widths, downs = resnet_d_layout(in_shape, ch, "SNGAN")
        self.in_shape, self.num_classes = tuple(in_shape), num_classes
        self.blocks = nn.Sequential(*(DBlock(a, b, d, preactivation=i > 0)
                                      for i, (a, b, d) in enumerate(zip(widths[:-1], widths[1:], downs))))
        self.linear = nn.Linear(widths[-1], 1)
        self.proj = ProjectionHead(num_classes, widths[-1]) if num_classes else None
        _xavier_init(self, _residual_convs(self.blocks))
        apply_spectral_norm(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 28, 28], "num_classes": 3, "ch": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def features(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """ReLU then global sum pooling of the last block, (N, F)."""
        return F.relu(self.blocks(x)).sum(dim=(2, 3))

    @property
    def head(self) -> nn.Module:
        """The unconditional output layer (named ``linear`` in the state dict)."""
        return self.linear
