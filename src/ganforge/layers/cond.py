"""Conditioning and packing helpers shared by discriminators."""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


class ProjectionHead(nn.Module):
    """Projection discriminator term (Miyato & Koyama 2018, eq. 3): ``<embed(y), h>``.

    ``h``: features of shape (N, F); ``y``: integer labels (N,). Returns (N,).
    """

    def __init__(self, num_classes: int, features: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_classes, features)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (self.embed(y) * h).sum(dim=1)


def label_maps(y: torch.Tensor, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    """One-hot label planes (N, num_classes, *like.shape[2:]) for concatenation conditioning."""
    onehot = F.one_hot(y.long(), num_classes).to(like.dtype)
    return onehot.view(*onehot.shape, *([1] * (like.dim() - 2))).expand(-1, -1, *like.shape[2:])


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """PacGAN (Lin et al. 2018): concatenate ``pack`` consecutive samples along the channel axis.

    (N, C, ...) -> (N / pack, pack * C, ...). N must be a multiple of ``pack``.
    """
    if pack == 1:
        return x
    n = x.shape[0]
    if n % pack:
        raise ValueError(f"batch of {n} samples cannot be packed by {pack}: use a batch size divisible by pack")
    return x.reshape(n // pack, pack * x.shape[1], *x.shape[2:])


class FeatureHeadDiscriminator:
    """Shared ``forward`` for discriminators built as ``features -> linear head`` plus an
    optional projection term: ``D(x, c) = head(h) + <embed(c), h>`` with ``h = features(x, c)``.

    Subclasses define ``features(x, c) -> (N, F)``, ``head`` (F -> 1), ``proj`` (a
    :class:`ProjectionHead` or None) and ``num_classes``.
    """

    num_classes: int
    head: nn.Module
    proj: "ProjectionHead | None"

    def features(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes and c is None:
            raise ValueError("conditional discriminator needs class labels c")
        h = self.features(x, c)
        out = self.head(h).squeeze(1)
        if self.proj is not None:
            out = out + self.proj(h, c)
        return out
