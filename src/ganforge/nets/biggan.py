"""A BigGAN-style generator and discriminator (Brock et al. 2019, "Large Scale GAN Training
for High Fidelity Natural Image Synthesis").

Where each idea lives:

- class-conditional batch norm with a shared class embedding and hierarchical latents
  (section 3, appendix B): :class:`ganforge.layers.hierarchical.HierarchicalLatent` feeds
  ``cat(embed(y), z_chunk)`` to every :class:`ganforge.layers.resblocks.GBlock`, whose
  :class:`ganforge.layers.cond_batchnorm.ConditionalBatchNorm2d` turn it into gains and biases.
- self-attention (from SAGAN) at the resolutions in ``attention``:
  :class:`ganforge.layers.attention.SelfAttention`.
- spectral normalization in both G and D (from SAGAN; D from SNGAN):
  :func:`ganforge.layers.spectral.apply_spectral_norm`, everything except G's shared embedding.
- projection discriminator (Miyato & Koyama 2018): :class:`ganforge.layers.cond.ProjectionHead`.
- orthogonal initialisation and orthogonal regularization (section 3.1):
  :func:`ganforge.layers.orthogonal.orthogonal_regularization`, added to G's loss in
  :class:`ganforge.families.biggan.BigGANFamily`.
- truncation trick (section 3.1): ``sample_latent(..., truncation=t)`` draws z from a normal
  truncated to [-t, t] by resampling the values outside.
- hinge loss, EMA of G, D steps per G step: the family's configuration.

Architecture tables follow the reference BigGAN code (``ch`` is the width multiplier:
ch=96 at 128 px in the paper); at 32 px the nets equal SNGAN's CIFAR ResNets plus attention.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GanforgeError
from ..layers import (DBlock, FeatureHeadDiscriminator, GBlock, HierarchicalLatent, ProjectionHead, SelfAttention,
                      apply_spectral_norm, resnet_d_layout, resnet_g_layout)
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net


def truncated_normal(shape: tuple[int, ...], threshold: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """N(0, 1) samples conditioned on |z| <= threshold, by resampling the values outside.

    Draws on the CPU (from ``generator`` when given) so that a seed gives the same latents
    on every device. ``threshold`` must be positive; small values need more resampling rounds
    (about 350 at 0.04) but each round only redraws the rejected entries.
    """
    if not threshold > 0:
        raise GanforgeError(f"truncation threshold must be > 0, got {threshold}")
    z = torch.randn(shape, generator=generator)
    bad = z.abs() > threshold
    while bad.any():
        z[bad] = torch.randn(int(bad.sum()), generator=generator)
        bad = z.abs() > threshold
    return z


def _ortho_init(module: nn.Module) -> None:
    """BigGAN's default initialisation: orthogonal weights, zero biases."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.orthogonal_(m.weight)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def _attention_at(requested: Sequence[int] | None, available: list[int], default: int, net: str) -> set[int]:
    wanted = [default] if requested is None else list(requested)
    for r in wanted:
        if r not in available:
            raise ValueError(f"{net}: attention resolution {r} is not one of its block resolutions {available}")
    return set(wanted)


@register_net("biggan_g", help="BigGAN generator: shared embedding + hierarchical z in conditional BN, self-attention, SN")
class BigGANGenerator(Net):
    """``G(z, c) -> x`` in [-1, 1] of shape (N, *out_shape).

    ``attention``: block output resolutions after which self-attention is applied (default:
    half the output resolution; ``[]`` for none). ``sn_eps``: epsilon of spectral norm.
    Unconditional when ``num_classes=0`` (the batch norms are then conditioned on z chunks only).
    """

    def __init__(self, z_dim: int = 128, out_shape: Sequence[int] = (3, 32, 32), num_classes: int = 0,
                 ch: int = 32, embed_dim: int = 128, attention: Sequence[int] | None = None,
                 sn_eps: float = 1e-6) -> None:
        super().__init__()
        channels, base, widths = resnet_g_layout(out_shape, ch, "BigGAN")
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        self.base, self.c0 = base, widths[0]
        self.latent = HierarchicalLatent(z_dim, len(widths) - 1, num_classes, embed_dim)
        self.linear = nn.Linear(self.latent.chunks[0], widths[0] * base * base)
        resolutions = [base * 2 ** (i + 1) for i in range(len(widths) - 1)]
        attn = _attention_at(attention, resolutions, int(out_shape[-1]) // 2, "biggan_g")
        self.blocks = nn.ModuleList(GBlock(a, b, cond_dim) for a, b, cond_dim
                                    in zip(widths[:-1], widths[1:], self.latent.cond_dims))
        self.attention = nn.ModuleList(SelfAttention(w) if r in attn else nn.Identity()
                                       for w, r in zip(widths[1:], resolutions))
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(), nn.Conv2d(widths[-1], channels, 3, padding=1))
        _ortho_init(self)
        shared = [self.latent.shared] if self.latent.shared is not None else []
        apply_spectral_norm(self, skip=shared, eps=sn_eps)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "out_shape": [3, 32, 32], "num_classes": 3, "ch": 4, "embed_dim": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters of the shared class embedding (left out of orthogonal regularization)."""
        return list(self.latent.shared.parameters()) if self.latent.shared is not None else []

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
                      truncation: float | None = None) -> torch.Tensor:
        """z (n, z_dim) ~ N(0, I), or truncated to [-truncation, truncation] when given."""
        if truncation is None:
            z = torch.randn(n, self.z_dim, generator=generator)
        else:
            z = truncated_normal((n, self.z_dim), truncation, generator)
        return z.to(device or "cpu")

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        z0, conds = self.latent(z, c)
        h = self.linear(z0).view(z.shape[0], self.c0, self.base, self.base)
        for block, attn, cond in zip(self.blocks, self.attention, conds):
            h = attn(block(h, cond))
        return torch.tanh(self.out(h))


@register_net("biggan_d", help="BigGAN discriminator: residual blocks, self-attention, SN, projection")
class BigGANDiscriminator(FeatureHeadDiscriminator, Net):
    """``D(x, c) -> logits`` (N,): residual blocks, ReLU, global sum pooling, linear + projection."""

    def __init__(self, in_shape: Sequence[int] = (3, 32, 32), num_classes: int = 0, ch: int = 32,
                 attention: Sequence[int] | None = None, sn_eps: float = 1e-6) -> None:
        super().__init__()
        widths, downs = resnet_d_layout(in_shape, ch, "BigGAN")
        self.in_shape, self.num_classes = tuple(in_shape), num_classes
        res = int(in_shape[-1])
        resolutions, r = [], res
        for d in downs:
            r = r // 2 if d else r
            resolutions.append(r)
        attn = _attention_at(attention, resolutions, res // 2, "biggan_d")
        self.blocks = nn.ModuleList(DBlock(a, b, d, preactivation=i > 0)
                                    for i, (a, b, d) in enumerate(zip(widths[:-1], widths[1:], downs)))
        self.attention = nn.ModuleList(SelfAttention(w) if r in attn else nn.Identity()
                                       for w, r in zip(widths[1:], resolutions))
        self.linear = nn.Linear(widths[-1], 1)
        self.proj = ProjectionHead(num_classes, widths[-1]) if num_classes else None
        _ortho_init(self)
        apply_spectral_norm(self, eps=sn_eps)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [3, 32, 32], "num_classes": 3, "ch": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def features(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Globally sum-pooled features (N, F)."""
        h = x
        for block, attn in zip(self.blocks, self.attention):
            h = attn(block(h))
        return F.relu(h).sum(dim=(2, 3))

    @property
    def head(self) -> nn.Module:
        """The unconditional output layer (named ``linear`` in the state dict)."""
        return self.linear
