"""Pixel-wise feature vector normalization (Karras et al. 2018, ProGAN section 4.2).

Each pixel's feature vector is scaled to unit root-mean-square, which keeps the generator's
signal magnitudes from escalating when G and D compete; it replaces batch norm in ProGAN's G
and normalises the latent code (onto a sphere of radius sqrt(dim)) in ProGAN and StyleGAN.
"""
from __future__ import annotations

import torch
from torch import nn


def pixel_norm(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """``x / sqrt(mean(x^2 over dim) + eps)``: works on (N, C) latents and (N, C, H, W) maps."""
    return x * torch.rsqrt(x.square().mean(dim=dim, keepdim=True) + eps)


class PixelNorm(nn.Module):
    """Module form of :func:`pixel_norm` over the channel axis."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_norm(x, 1, self.eps)
