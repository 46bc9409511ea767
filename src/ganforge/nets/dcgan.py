"""DCGAN generator and discriminator (Radford et al. 2016) for 28, 32, 64 and 128 px.

The generator starts from a 7x7 (28 px) or 4x4 (32/64/128 px) feature map and doubles the
resolution with stride-2 transposed convolutions, batch norm and ReLU, ending in ``tanh``.
The discriminator mirrors it with stride-2 convolutions and LeakyReLU(0.2), and returns one
raw logit per sample. Conditional versions embed the label into z (G) and use a projection
or concatenated label planes (D).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..layers import FeatureHeadDiscriminator, ProjectionHead, conv_norm, label_maps, minibatch_stddev, pack_samples
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net
from .mlp import GeneratorMixin


def _plan(resolution: int) -> tuple[int, int]:
    """(base size, number of 2x stages) for a supported resolution."""
    for base in (7, 4):
        n = resolution // base
        if resolution % base == 0 and n >= 2 and n & (n - 1) == 0:
            return base, int(math.log2(n))
    raise ValueError(f"DCGAN resolution {resolution} is not supported: use 28, 32, 64 or 128 "
                     "(7 or 4 times a power of two)")


def dcgan_init(module: nn.Module) -> None:
    """Weights ~ N(0, 0.02); batch-norm scale ~ N(1, 0.02), as in the DCGAN paper."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


@register_net("dcgan_g", help="DCGAN generator (28/32/64/128 px, 1 or 3 channels, optional class embedding)")
class DCGANGenerator(GeneratorMixin, Net):
    """``G(z, c) -> x`` with x in [-1, 1] of shape (N, *out_shape)."""

    def __init__(self, z_dim: int = 100, out_shape: Sequence[int] = (1, 28, 28), width: int = 64,
                 num_classes: int = 0, embed_dim: int = 50, max_channels: int = 1024) -> None:
        super().__init__()
        channels, height, width_px = out_shape
        if height != width_px:
            raise ValueError(f"DCGAN needs square images, got out_shape={tuple(out_shape)}")
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        base, n_up = _plan(height)
        chans = [min(width * 2 ** i, max_channels) for i in reversed(range(n_up))]  # e.g. [128, 64]
        self.base, self.c0 = base, chans[0]
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        in_dim = z_dim + (embed_dim if num_classes else 0)
        self.fc = nn.Sequential(nn.Linear(in_dim, chans[0] * base * base, bias=False),
                                nn.BatchNorm1d(chans[0] * base * base), nn.ReLU(True))
        blocks: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            blocks += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
        blocks += [nn.ConvTranspose2d(chans[-1], channels, 4, 2, 1), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)
        dcgan_init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "out_shape": [1, 28, 28], "width": 8, "num_classes": 3, "embed_dim": 4}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            z = torch.cat([z, self.embed(c)], dim=1)
        h = self.fc(z).view(z.shape[0], self.c0, self.base, self.base)
        return self.blocks(h)


@register_net("dcgan_d", help="DCGAN discriminator (raw logits; batch/layer/spectral/no norm; PacGAN packing)")
class DCGANDiscriminator(FeatureHeadDiscriminator, Net):
    """``D(x, c) -> logits`` of shape (N / pack,).

    ``norm``: ``batch`` (DCGAN), ``layer`` (WGAN-GP critics must not use batch norm),
    ``spectral`` (spectral normalisation of every weight), ``instance`` or ``none``.
    ``cond``: ``projection`` (Miyato & Koyama 2018) or ``concat`` (one-hot label planes
    concatenated to the input, which also works with packing).
    ``mbstd``: group size of a minibatch standard deviation map (Karras et al. 2018) appended
    to the last feature map before the head; 0 (default) leaves it out. With it, D's output
    for one sample depends on the others of its group (the point: a generator whose samples
    are too alike is seen), and :meth:`features` carries the extra map.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), width: int = 64, num_classes: int = 0,
                 cond: str = "projection", norm: str = "batch", pack: int = 1, max_channels: int = 1024,
                 mbstd: int = 0) -> None:
        super().__init__()
        channels, height, width_px = in_shape
        if height != width_px:
            raise ValueError(f"DCGAN needs square images, got in_shape={tuple(in_shape)}")
        if cond not in ("projection", "concat"):
            raise ValueError(f"cond must be 'projection' or 'concat', got {cond!r}")
        if isinstance(mbstd, bool) or not isinstance(mbstd, int) or mbstd < 0 or mbstd == 1:
            raise ValueError(f"mbstd must be 0 (off) or a group size >= 2, got {mbstd!r}")
        if num_classes and pack > 1 and cond == "projection":
            raise ValueError("pack > 1 with class labels needs cond='concat' (each sample carries its own label)")
        self.in_shape, self.num_classes, self.cond, self.pack = tuple(in_shape), num_classes, cond, pack
        self.mbstd = mbstd
        base, n_down = _plan(height)
        sn = nn.utils.parametrizations.spectral_norm if norm == "spectral" else (lambda m: m)
        cin = (channels + (num_classes if num_classes and cond == "concat" else 0)) * pack
        chans = [min(width * 2 ** i, max_channels) for i in range(n_down)]
        layers: list[nn.Module] = []
        for i, cout in enumerate(chans):
            layers.append(sn(nn.Conv2d(cin, cout, 4, 2, 1, bias=(i == 0 or norm in ("none", "spectral")))))
            if i > 0:
                layers.append(conv_norm(norm, cout))
            layers.append(nn.LeakyReLU(0.2, True))
            cin = cout
        self.body = nn.Sequential(*layers)
        feat = (chans[-1] + (1 if mbstd else 0)) * base * base
        self.head = sn(nn.Linear(feat, 1))
        self.proj = ProjectionHead(num_classes, feat) if num_classes and cond == "projection" else None
        dcgan_init(self)

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 28, 28], "width": 8, "num_classes": 3}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def features(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Flattened last-layer features, (N / pack, F)."""
        if self.num_classes and self.cond == "concat":
            x = torch.cat([x, label_maps(c, self.num_classes, x)], dim=1)
        h = self.body(pack_samples(x, self.pack))
        if self.mbstd:
            h = minibatch_stddev(h, self.mbstd)
        return h.flatten(1)
