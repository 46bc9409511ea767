"""Normalisation choices for convolutional blocks, selected by name."""
from __future__ import annotations

from torch import nn

NORMS = ("batch", "instance", "layer", "spectral", "none")


def conv_norm(kind: str, channels: int) -> nn.Module:
    """A normalisation layer for (N, C, H, W) activations.

    ``layer`` normalises over (C, H, W) per sample (GroupNorm with one group), which is what
    WGAN-GP recommends for critics; ``spectral`` and ``none`` add no layer (spectral
    normalisation is applied to the weights by the caller).
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind in ("spectral", "none"):
        return nn.Identity()
    raise ValueError(f"norm {kind!r} is not one of {', '.join(NORMS)}")
