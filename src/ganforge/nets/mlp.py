"""Multi-layer perceptron generator and discriminator, for toy data, tables and small images."""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..layers import FeatureHeadDiscriminator, ProjectionHead, pack_samples
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net


def _act(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2), "tanh": nn.Tanh(), "elu": nn.ELU()}[name]


class GeneratorMixin:
    """Default latent distribution: z ~ N(0, I) of size ``z_dim``."""

    z_dim: int

    def sample_latent(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> torch.Tensor:
        if generator is None:  # the global RNG of the target device (fast; checkpointed by the loop)
            return torch.randn(n, self.z_dim, device=device)
        # a seeded CPU generator gives the same latents on every device
        return torch.randn(n, self.z_dim, generator=generator).to(device or "cpu")


@register_net("mlp_g", help="MLP generator: z (+ label embedding) -> hidden layers -> sample")
class MLPGenerator(GeneratorMixin, Net):
    """MLP generator. ``out_shape`` is the shape of one sample; output is ``tanh`` for images
    (``out_activation='tanh'``) and unbounded for toy points (``'none'``)."""

    def __init__(self, z_dim: int = 2, out_shape: Sequence[int] = (2,), width: int = 128, depth: int = 3,
                 num_classes: int = 0, embed_dim: int = 16, activation: str = "relu",
                 out_activation: str = "none", batch_norm: bool = False) -> None:
        super().__init__()
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        layers: list[nn.Module] = []
        d = z_dim + (embed_dim if num_classes else 0)
        for h in [width] * depth:
            layers += [nn.Linear(d, h)] + ([nn.BatchNorm1d(h)] if batch_norm else []) + [_act(activation)]
            d = h
        layers.append(nn.Linear(d, math.prod(self.out_shape)))
        if out_activation != "none":
            layers.append(_act(out_activation))
        self.net = nn.Sequential(*layers)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 4, "out_shape": [2], "width": 16, "depth": 2, "num_classes": 3, "embed_dim": 4,
                "batch_norm": True}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            z = torch.cat([z, self.embed(c)], dim=1)
        return self.net(z).view(z.shape[0], *self.out_shape)


@register_net("mlp_d", help="MLP discriminator: sample -> hidden layers -> logit (projection or concat labels)")
class MLPDiscriminator(FeatureHeadDiscriminator, Net):
    """MLP discriminator returning raw logits (N / pack,). ``pack`` > 1 is PacGAN packing."""

    def __init__(self, in_shape: Sequence[int] = (2,), width: int = 128, depth: int = 3,
                 num_classes: int = 0, cond: str = "projection", pack: int = 1,
                 activation: str = "leaky_relu", dropout: float = 0.0, spectral_norm: bool = False) -> None:
        super().__init__()
        if cond not in ("projection", "concat"):
            raise ValueError(f"cond must be 'projection' or 'concat', got {cond!r}")
        if num_classes and pack > 1 and cond == "projection":
            raise ValueError("pack > 1 with class labels needs cond='concat' (each sample carries its own label)")
        self.in_shape, self.num_classes, self.cond, self.pack = tuple(in_shape), num_classes, cond, pack
        d_in = math.prod(self.in_shape) + (num_classes if num_classes and cond == "concat" else 0)
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        d = d_in * pack
        for h in [width] * depth:
            layers += [sn(nn.Linear(d, h)), _act(activation)] + ([nn.Dropout(dropout)] if dropout else [])
            d = h
        self.body = nn.Sequential(*layers)
        self.head = sn(nn.Linear(d, 1))
        self.proj = ProjectionHead(num_classes, d) if num_classes and cond == "projection" else None

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [2], "width": 16, "depth": 2, "num_classes": 3, "dropout": 0.1, "spectral_norm": True}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def features(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = x.reshape(x.shape[0], -1)
        if self.num_classes and self.cond == "concat":
            h = torch.cat([h, nn.functional.one_hot(c.long(), self.num_classes).to(h.dtype)], dim=1)
        return self.body(pack_samples(h, self.pack))
