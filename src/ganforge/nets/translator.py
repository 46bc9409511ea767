"""The image-to-image ("translator") contract and helpers shared by its networks.

A translator is ``T(x) -> y``: ``x`` of shape (N, *in_shape) and ``y`` of shape
(N, *out_shape), both float in [-1, 1]. It has ``in_shape``, ``out_shape`` and, so that code
written for the generator contract can tell it apart, ``z_dim = 0`` and ``num_classes = 0``.
Randomness, where a translator has any (pix2pix dropout), is active in train mode only, so
``T.eval()`` is deterministic.

The inpainting generator takes a second input, the hole mask: ``T(x_masked, mask) -> y``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class TranslatorMixin:
    """Marks an image-to-image network and gives it the attributes of the contract."""

    z_dim: int = 0
    num_classes: int = 0
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Pad (N, C, H, W) on both sides so that H and W become multiples of ``multiple``.

    Replicate padding: unlike zeros it does not draw a frame of a foreign value (zero is mid
    grey in [-1, 1]), and unlike reflection it works for any pad width. Returns the padded
    tensor and the (left, right, top, bottom) pads, for :func:`unpad`.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if ph == 0 and pw == 0:
        return x, pads
    return F.pad(x, pads, mode="replicate"), pads


def unpad(x: torch.Tensor, pads: tuple[int, int, int, int], scale: int = 1) -> torch.Tensor:
    """Undo :func:`pad_to_multiple` (pads multiplied by ``scale`` for upsampling nets)."""
    left, right, top, bottom = (p * scale for p in pads)
    h, w = x.shape[-2:]
    return x[..., top:h - bottom, left:w - right]


def levels_for(size: int, max_levels: int = 8) -> int:
    """Number of stride-2 levels that takes ``size`` (padded up to a power of two) to 1 px."""
    return max(1, min(max_levels, math.ceil(math.log2(max(size, 2)))))


def init_normal(module: nn.Module, std: float = 0.02) -> None:
    """Conv weights ~ N(0, std), norm scales ~ N(1, std), biases 0 (pix2pix / CycleGAN init)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


def norm2d(kind: str, channels: int) -> nn.Module:
    """``batch`` (pix2pix), ``instance`` (CycleGAN: no affine, no running stats) or ``none``."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm {kind!r} is not one of batch, instance, none")


def check_input(x: torch.Tensor, shape: tuple[int, ...], who: str) -> None:
    """Channels must match exactly; spatial size may differ (all translators are convolutional)."""
    if x.dim() != 4 or x.shape[1] != shape[0]:
        raise ValueError(f"{who} expects images (N, {shape[0]}, H, W), got {tuple(x.shape)}")
