"""Residual blocks of SNGAN (Miyato et al. 2018, appendix B) and BigGAN (Brock et al. 2019,
appendix B), and the channel plans both use.

Generator block (pre-activation, 2x nearest up-sampling)::

    h = conv2(relu(bn2(conv1(up(relu(bn1(x, cond)))), cond)))      out = h + conv1x1(up(x))

Discriminator block (pre-activation, 2x average-pool down-sampling)::

    h = pool(conv2(relu(conv1(relu(x)))))                            out = h + pool(conv1x1(x))

The first D block skips the leading ReLU (it sees the image) and pools before its shortcut
convolution (SNGAN's "optimized block"). Spectral normalization is applied afterwards to the
whole net with :func:`ganforge.layers.spectral.apply_spectral_norm`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .cond_batchnorm import ConditionalBatchNorm2d


class GBlock(nn.Module):
    """x (N, in, H, W), cond (N, cond_dim) or None -> (N, out, 2H, 2W) (or (H, W) without upsample)."""

    def __init__(self, in_channels: int, out_channels: int, cond_dim: int = 0, upsample: bool = True) -> None:
        super().__init__()
        self.upsample = upsample
        self.bn1 = ConditionalBatchNorm2d(in_channels, cond_dim)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.bn2 = ConditionalBatchNorm2d(out_channels, cond_dim)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels or upsample else None

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2, mode="nearest") if self.upsample else x

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(self._up(F.relu(self.bn1(x, cond))))
        h = self.conv2(F.relu(self.bn2(h, cond)))
        skip = self._up(x)
        return h + (self.shortcut(skip) if self.shortcut is not None else skip)


class DBlock(nn.Module):
    """x (N, in, H, W) -> (N, out, H/2, W/2) (or (H, W) without downsample)."""

    def __init__(self, in_channels: int, out_channels: int, downsample: bool = True, preactivation: bool = True) -> None:
        super().__init__()
        self.downsample, self.preactivation = downsample, preactivation
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels or downsample else None

    def _down(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.downsample else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x) if self.preactivation else x
        h = self._down(self.conv2(F.relu(self.conv1(h))))
        skip = x
        if self.shortcut is not None:
            # conv then pool after a pre-activated block; pool then conv on the image (cheaper, same result for 1x1)
            skip = self._down(self.shortcut(skip)) if self.preactivation else self.shortcut(self._down(skip))
        return h + skip


# Channel multipliers (times the width ``ch``) from BigGAN's reference architectures; SNGAN's
# CIFAR nets are the 32 px plan (G: ch=64 -> 256 channels; D: ch=32 -> 128 channels).
_G_PLANS: dict[int, tuple[int, tuple[int, ...]]] = {  # resolution: (start size, channels per stage)
    28: (7, (4, 4, 4)),
    32: (4, (4, 4, 4, 4)),
    64: (4, (16, 16, 8, 4, 2)),
    128: (4, (16, 16, 8, 4, 2, 1)),
    256: (4, (16, 16, 8, 8, 4, 2, 1)),
    512: (4, (16, 16, 8, 8, 4, 2, 1, 1)),
}
_D_PLANS: dict[int, tuple[tuple[int, ...], tuple[bool, ...]]] = {  # resolution: (block outputs, downsample?)
    28: ((4, 4, 4, 4), (True, True, False, False)),
    32: ((4, 4, 4, 4), (True, True, False, False)),
    64: ((1, 2, 4, 8, 16), (True, True, True, True, False)),
    128: ((1, 2, 4, 8, 16, 16), (True,) * 5 + (False,)),
    256: ((1, 2, 4, 8, 8, 16, 16), (True,) * 6 + (False,)),
    512: ((1, 1, 2, 4, 8, 8, 16, 16), (True,) * 7 + (False,)),
}


def resnet_g_layout(out_shape, ch: int, who: str) -> tuple[int, int, list[int]]:
    """(image channels, start size, channel widths: block 0's input then each block's output) of a
    ResNet generator with base width ``ch`` for the square ``out_shape`` (C, R, R)."""
    channels, res, res_w = out_shape
    if res != res_w:
        raise ValueError(f"{who} needs square images, got out_shape={tuple(out_shape)}")
    base, mults = resnet_g_plan(res)
    return channels, base, [m * ch for m in mults]


def resnet_d_layout(in_shape, ch: int, who: str) -> tuple[list[int], tuple[bool, ...]]:
    """(channel widths: the image's then each block's output, whether each block down-samples) of a
    ResNet discriminator with base width ``ch`` for the square ``in_shape`` (C, R, R)."""
    channels, res, res_w = in_shape
    if res != res_w:
        raise ValueError(f"{who} needs square images, got in_shape={tuple(in_shape)}")
    mults, downs = resnet_d_plan(res)
    return [channels] + [m * ch for m in mults], downs


def _check(resolution: int, plans: dict) -> None:
    if resolution not in plans:
        raise ValueError(f"ResNet GAN resolution {resolution} is not supported: use one of "
                         f"{', '.join(map(str, sorted(plans)))}")


def resnet_g_plan(resolution: int) -> tuple[int, tuple[int, ...]]:
    """(start size, channel multipliers: the input of block 0, then each block's output)."""
    _check(resolution, _G_PLANS)
    return _G_PLANS[resolution]


def resnet_d_plan(resolution: int) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """(channel multiplier of each block's output, whether each block down-samples)."""
    _check(resolution, _D_PLANS)
    return _D_PLANS[resolution]
