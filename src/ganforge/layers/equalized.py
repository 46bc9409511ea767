"""Equalized learning rate (Karras et al. 2018, ProGAN section 4.1).

Weights are stored as N(0, 1) draws and multiplied at run time by He's constant
``gain / sqrt(fan_in)``. Adam's updates are invariant to the scale of a parameter, so storing
the weights unscaled gives every layer the same effective learning rate regardless of its
fan-in. ``lr_mul`` (StyleGAN's mapping network uses 0.01) further slows a layer down: the
stored weights are drawn with std ``1 / lr_mul`` and multiplied by ``lr_mul`` at run time, so
the initial function is unchanged while the effective step size is ``lr_mul`` times smaller.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class EqualLinear(nn.Module):
    """Fully connected layer with equalized learning rate.

    ``y = x @ (W * gain * lr_mul / sqrt(in_features)).T + b * lr_mul``; x: (N, in_features),
    y: (N, out_features). ``bias_init`` is the effective initial bias (StyleGAN's style affines
    start at 1 so that modulation begins as the identity).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, bias_init: float = 0.0,
                 lr_mul: float = 1.0, gain: float = 1.0) -> None:
        super().__init__()
        self.in_features, self.out_features, self.lr_mul = in_features, out_features, lr_mul
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), bias_init / lr_mul)) if bias else None
        self.weight_gain = gain * lr_mul / math.sqrt(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.lr_mul if self.bias is not None else None
        return F.linear(x, self.weight * self.weight_gain, b)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, lr_mul={self.lr_mul}, weight_gain={self.weight_gain:.4g}"


class EqualConv2d(nn.Module):
    """2-D convolution with equalized learning rate: weight scaled by ``gain / sqrt(C_in k^2)``.

    x: (N, C_in, H, W) -> (N, C_out, H', W'); ``padding`` defaults to ``kernel_size // 2``
    ("same" for odd kernels).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | None = None, bias: bool = True, gain: float = 1.0, lr_mul: float = 1.0) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.stride, self.padding, self.lr_mul = stride, kernel_size // 2 if padding is None else padding, lr_mul
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = gain * lr_mul / math.sqrt(in_channels * kernel_size * kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.lr_mul if self.bias is not None else None
        return F.conv2d(x, self.weight * self.weight_gain, b, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, weight_gain={self.weight_gain:.4g}")


def scaled_leaky_relu(x: torch.Tensor, slope: float = 0.2) -> torch.Tensor:
    """Leaky ReLU times sqrt(2) (StyleGAN2): with gain-1 equalized weights this keeps the
    activations' second moment constant from layer to layer (He et al. 2015)."""
    return F.leaky_relu(x, slope) * math.sqrt(2.0)
