"""Modulated convolution with weight demodulation (Karras et al. 2020, StyleGAN2 section 2.2).

A style vector s (one scale per input channel, computed from w by a learned affine map)
scales the convolution weights: w'_ijk = s_i w_ijk (eq. 1). Demodulation then rescales each
output channel so that, for unit-variance inputs, outputs have unit variance again:
w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps) (eq. 3). This replaces AdaIN's normalisation of
the activations, which caused StyleGAN's droplet artefacts. Each sample gets its own weights,
implemented as one grouped convolution over the batch.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .equalized import EqualLinear


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     padding: int = 0, eps: float = 1e-8) -> torch.Tensor:
    """Convolve each sample with its own modulated (and optionally demodulated) weights.

    x: (N, I, H, W); weight: (O, I, k, k) shared; styles: (N, I) per-sample input scales.
    Returns (N, O, H', W'). With ``styles`` all ones and ``demodulate=False`` this is
    exactly ``F.conv2d(x, weight, padding=padding)``.
    """
    n, i, h, w = x.shape
    o, _, kh, kw = weight.shape
    if styles.shape != (n, i):
        raise ValueError(f"modulated_conv2d: styles must be {(n, i)} for input {tuple(x.shape)}, got {tuple(styles.shape)}")
    wt = weight.unsqueeze(0) * styles.reshape(n, 1, i, 1, 1)  # (N, O, I, k, k), eq. (1)
    if demodulate:
        wt = wt * torch.rsqrt(wt.square().sum(dim=(2, 3, 4), keepdim=True) + eps)  # eq. (3)
    out = F.conv2d(x.reshape(1, n * i, h, w), wt.reshape(n * o, i, kh, kw), padding=padding, groups=n)
    return out.reshape(n, o, out.shape[2], out.shape[3])


class ModulatedConv2d(nn.Module):
    """A k x k modulated convolution whose styles come from w through an equalized affine layer.

    x: (N, I, H, W), w: (N, w_dim) -> (N, O, H, W), or (N, O, 2H, 2W) with ``upsample=True``.
    Up-sampling is bilinear before the convolution; for a factor of 2 this applies the same
    [1, 3, 3, 1] filter as StyleGAN2's fused transposed convolution (only borders differ).
    The affine bias starts at 1 so that modulation starts as the identity. No bias or
    activation here: the synthesis layer adds noise, bias and the non-linearity.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, w_dim: int,
                 demodulate: bool = True, upsample: bool = False) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.upsample = demodulate, upsample
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)  # equalized lr

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return modulated_conv2d(x, self.weight * self.weight_gain, styles, self.demodulate, self.kernel_size // 2)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"demodulate={self.demodulate}, upsample={self.upsample}")
