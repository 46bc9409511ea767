"""A StyleGAN2-style generator and discriminator (Karras et al. 2019, 2020).

Where each idea lives:

- mapping network z -> w (StyleGAN section 2): :class:`MappingNetwork`, 8 equalized-lr layers
  with a 100x lower learning rate (lr_mul 0.01); z and the class embedding are normalised first.
- synthesis from a learned 4x4 constant (section 2): :class:`SynthesisNetwork` ``const``.
- per-layer styles by modulated convolution with demodulation (StyleGAN2 section 2.2):
  :class:`ganforge.layers.modconv.ModulatedConv2d`.
- per-layer noise inputs (StyleGAN section 3.2): :class:`ganforge.layers.noise.NoiseInjection`.
- skip-connection toRGB outputs summed over resolutions (StyleGAN2 section 4.1, figure 7b).
- truncation trick in w space (StyleGAN section 3.1 / appendix B): buffer ``w_avg`` (running
  mean of w during training) and ``truncation`` (psi) in :meth:`StyleGANGenerator.forward`.
- style mixing (section 3.1): ``ws`` holds one w per layer, (N, num_ws, w_dim), so
  :meth:`StyleGANGenerator.mix` swaps the ws of chosen layers; the regularization (mixing
  during training) is in :meth:`ganforge.families.stylegan.StyleGANFamily.latents`.
- residual discriminator with minibatch stddev (StyleGAN2 section 4.1):
  :class:`StyleGANDiscriminator`.
- R1, lazy regularization and path-length regularization live in the step functions.

Simplifications: resampling uses bilinear up-sampling (the same [1, 3, 3, 1] filter for 2x,
different only at borders) and 2x2 average pooling instead of upfirdn2d; no fp16 clamping.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import (EqualConv2d, EqualLinear, ModulatedConv2d, NoiseInjection, ProjectionHead,
                      minibatch_stddev, pixel_norm, scaled_leaky_relu)
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net
from .mlp import GeneratorMixin


def _log2_res(resolution: int) -> int:
    k = int(round(math.log2(resolution)))
    if resolution < 8 or 2 ** k != resolution:
        raise ValueError(f"StyleGAN resolution {resolution} must be a power of two >= 8 (e.g. 32; resize 28 px data to 32)")
    return k


def _channels(resolution: int, channel_base: int, channel_max: int) -> int:
    return max(1, min(channel_base // resolution, channel_max))


class MappingNetwork(nn.Module):
    """(z (N, z_dim), c (N,) or None) -> ws (N, num_ws, w_dim): the same w for every layer.

    Updates ``w_avg`` (running mean of w, decay ``w_avg_beta``) when ``update_w_avg``. With
    ``truncation`` psi < 1, ``w = w_avg + psi (w - w_avg)`` for the first
    ``truncation_cutoff`` layers (all when None): psi = 0 gives w_avg, psi = 1 no change.
    """

    def __init__(self, z_dim: int, w_dim: int, num_ws: int, num_classes: int = 0, num_layers: int = 8,
                 lr_mul: float = 0.01, w_avg_beta: float = 0.995) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.num_ws, self.num_classes, self.w_avg_beta = z_dim, w_dim, num_ws, num_classes, w_avg_beta
        # the class label enters as a learned embedding of its one-hot code, normalised like z
        self.embed = EqualLinear(num_classes, w_dim) if num_classes else None
        dims = [z_dim + (w_dim if num_classes else 0)] + [w_dim] * num_layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=lr_mul) for a, b in zip(dims[:-1], dims[1:]))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation: float = 1.0,
                truncation_cutoff: int | None = None, update_w_avg: bool = False) -> torch.Tensor:
        x = pixel_norm(z)
        if self.embed is not None:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            y = self.embed(F.one_hot(c.long(), self.num_classes).to(z.dtype))
            x = torch.cat([x, pixel_norm(y)], dim=1)
        for layer in self.layers:
            x = scaled_leaky_relu(layer(x))
        if update_w_avg:
            # under autocast x is bf16/fp16 while the running mean stays in the buffer's float32
            self.w_avg.copy_(torch.lerp(x.detach().mean(dim=0).to(self.w_avg.dtype), self.w_avg, self.w_avg_beta))
        ws = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation != 1.0:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            ws = torch.cat([torch.lerp(self.w_avg.to(ws.dtype), ws[:, :cut], truncation), ws[:, cut:]], dim=1)
        return ws


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv (optionally up-sampling) + noise + bias + leaky ReLU * sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, upsample: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, demodulate=True, upsample=upsample)
        self.noise = NoiseInjection(resolution)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str, generator: torch.Generator | None) -> torch.Tensor:
        x = self.noise(self.conv(x, w), noise_mode, generator)
        return scaled_leaky_relu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv without demodulation, plus bias, linear output."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) -> image (N, C, R, R).

    Layer order: 4x4 conv, then per resolution r = 8..R an up-sampling conv and a conv; each
    resolution's toRGB output is added to the up-sampled image so far (skip architecture).
    w index i drives conv i; the toRGB after conv i uses w[i + 1] (shared with the next
    resolution's first conv, as in StyleGAN2), so ``num_ws = num_convs + 1 = 2 log2(R) - 2``.
    """

    def __init__(self, w_dim: int, resolution: int, channels: int, channel_base: int, channel_max: int) -> None:
        super().__init__()
        top = _log2_res(resolution)
        ch = {2 ** k: _channels(2 ** k, channel_base, channel_max) for k in range(2, top + 1)}
        self.resolution, self.channels = resolution, channels
        self.const = nn.Parameter(torch.randn(ch[4], 4, 4))
        self.convs = nn.ModuleList([SynthesisLayer(ch[4], ch[4], w_dim, 4)])
        self.to_rgbs = nn.ModuleList([ToRGB(ch[4], channels, w_dim)])
        for k in range(3, top + 1):
            r = 2 ** k
            self.convs.append(SynthesisLayer(ch[r // 2], ch[r], w_dim, r, upsample=True))
            self.convs.append(SynthesisLayer(ch[r], ch[r], w_dim, r))
            self.to_rgbs.append(ToRGB(ch[r], channels, w_dim))
        self.num_ws = len(self.convs) + 1

    def forward(self, ws: torch.Tensor, noise_mode: str = "random", generator: torch.Generator | None = None) -> torch.Tensor:
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"synthesis expects ws of shape (N, {self.num_ws}, w_dim), got {tuple(ws.shape)}")
        x = self.const.unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)
        x = self.convs[0](x, ws[:, 0], noise_mode, generator)
        img = self.to_rgbs[0](x, ws[:, 1])
        for i, rgb in enumerate(self.to_rgbs[1:]):
            a = 1 + 2 * i  # index of this resolution's first conv (and of its w)
            x = self.convs[a](x, ws[:, a], noise_mode, generator)
            x = self.convs[a + 1](x, ws[:, a + 1], noise_mode, generator)
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False) + rgb(x, ws[:, a + 2])
        return img


@register_net("stylegan_g", help="StyleGAN2-style generator: mapping to w, modulated convs, noise, truncation, mixing")
class StyleGANGenerator(GeneratorMixin, Net):
    """``G(z, c, truncation=psi) -> x`` (N, *out_shape), linear output approximately in [-1, 1].

    ``G.mapping(z, c)`` -> ws (N, num_ws, w_dim); ``G.synthesis(ws)`` -> images;
    ``G.mix(ws_a, ws_b, layers)`` for style mixing. Channels at resolution r are
    ``min(channel_base // r, channel_max)`` (StyleGAN2 config F: 32768 and 512).
    Noise: ``noise_mode`` None means ``random`` in training mode and ``const`` (fixed, saved
    noise maps) in eval mode, so sampling from a loaded model is deterministic.
    In training mode every forward updates ``w_avg``.
    """

    def __init__(self, z_dim: int = 128, w_dim: int = 128, out_shape: Sequence[int] = (1, 32, 32),
                 num_classes: int = 0, mapping_layers: int = 8, mapping_lr_mul: float = 0.01,
                 channel_base: int = 2048, channel_max: int = 128, w_avg_beta: float = 0.995) -> None:
        super().__init__()
        channels, res, res_w = out_shape
        if res != res_w:
            raise ValueError(f"StyleGAN needs square images, got out_shape={tuple(out_shape)}")
        self.z_dim, self.w_dim, self.num_classes, self.out_shape = z_dim, w_dim, num_classes, tuple(out_shape)
        self.synthesis = SynthesisNetwork(w_dim, res, channels, channel_base, channel_max)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, num_classes, mapping_layers, mapping_lr_mul, w_avg_beta)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "w_dim": 8, "out_shape": [1, 8, 8], "num_classes": 3, "mapping_layers": 2,
                "channel_base": 32, "channel_max": 8}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def _noise_mode(self, noise_mode: str | None) -> str:
        return noise_mode or ("random" if self.training else "const")

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        ws = self.mapping(z, c, truncation, truncation_cutoff, update_w_avg=self.training)
        return self.synthesis(ws, self._noise_mode(noise_mode), generator)

    def mix(self, ws_a: torch.Tensor, ws_b: torch.Tensor, layers: Iterable[int]) -> torch.Tensor:
        """ws_a with the ws of ``layers`` (indices in 0..num_ws-1) taken from ws_b.

        Low indices (4x4, 8x8) carry coarse styles (pose, shape); high ones fine styles
        (colour, texture). Both (N, num_ws, w_dim); ws_b may also be (1, num_ws, w_dim).
        """
        idx = sorted(set(int(i) for i in layers))
        if any(not 0 <= i < self.num_ws for i in idx):
            raise ValueError(f"style-mixing layers {idx} must be in 0..{self.num_ws - 1}")
        out = ws_a.clone()
        out[:, idx] = ws_b[:, idx].expand(ws_a.shape[0], -1, -1)
        return out


class _DBlock(nn.Module):
    """StyleGAN2 residual D block: two 3x3 convs and a 2x down-sampling, skip scaled 1/sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(F.avg_pool2d(x, 2))
        h = scaled_leaky_relu(self.conv0(x))
        h = scaled_leaky_relu(self.conv1(F.avg_pool2d(h, 2)))
        return (h + skip) * math.sqrt(0.5)  # keep the variance of the sum equal to that of each branch


@register_net("stylegan_d", help="StyleGAN2-style residual discriminator with minibatch stddev (projection if conditional)")
class StyleGANDiscriminator(Net):
    """``D(x, c) -> logits`` (N,) for x (N, *in_shape)."""

    def __init__(self, in_shape: Sequence[int] = (1, 32, 32), num_classes: int = 0, channel_base: int = 2048,
                 channel_max: int = 128, mbstd_group: int = 4, mbstd_channels: int = 1) -> None:
        super().__init__()
        channels, res, res_w = in_shape
        if res != res_w:
            raise ValueError(f"StyleGAN needs square images, got in_shape={tuple(in_shape)}")
        self.in_shape, self.num_classes = tuple(in_shape), num_classes
        self.mbstd_group, self.mbstd_channels = mbstd_group, mbstd_channels
        top = _log2_res(res)
        ch = {2 ** k: _channels(2 ** k, channel_base, channel_max) for k in range(2, top + 1)}
        self.from_rgb = EqualConv2d(channels, ch[res], 1)
        self.blocks = nn.ModuleList(_DBlock(ch[2 ** k], ch[2 ** (k - 1)]) for k in range(top, 2, -1))
        self.conv = EqualConv2d(ch[4] + mbstd_channels, ch[4], 3)
        self.dense = EqualLinear(ch[4] * 16, ch[4])
        self.head = EqualLinear(ch[4], 1)
        self.proj = ProjectionHead(num_classes, ch[4]) if num_classes else None

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 8, 8], "num_classes": 3, "channel_base": 32, "channel_max": 8, "mbstd_group": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes and c is None:
            raise ValueError("conditional discriminator needs class labels c")
        h = scaled_leaky_relu(self.from_rgb(x))
        for block in self.blocks:
            h = block(h)
        h = minibatch_stddev(h, self.mbstd_group, self.mbstd_channels)
        h = scaled_leaky_relu(self.conv(h))
        h = scaled_leaky_relu(self.dense(h.flatten(1)))
        out = self.head(h).squeeze(1)
        if self.proj is not None:
            out = out + self.proj(h, c)
        return out
