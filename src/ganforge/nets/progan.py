"""Progressive growing of GANs (Karras et al. 2018, "Progressive Growing of GANs for Improved
Quality, Stability, and Variation").

Both nets start at 4x4 and grow by doubling the resolution. A new level fades in smoothly:
during the transition the output is ``lerp(up(toRGB_old(h_old)), toRGB_new(h_new), alpha)``
in G and the mirror image in D, with alpha going from 0 to 1 (section 3, figure 2). Other
ideas of the paper, all here: minibatch standard deviation in D (section 3,
:mod:`ganforge.layers.minibatch_std`), equalized learning rate in every layer (4.1,
:mod:`ganforge.layers.equalized`), pixel-wise feature normalization after every G conv (4.2,
:mod:`ganforge.layers.pixelnorm`), and WGAN-GP with a drift term (appendix A.1,
:meth:`ganforge.families.progan.ProGANFamily.d_step`).

Growth state: each net holds the persistent buffers ``level`` (int64 scalar: 0 = 4x4,
k = 4 * 2**k pixels) and ``alpha`` (float32 scalar in [0, 1], 1 = fade-in finished). They
are in the state dict, so save_model/load_model and training checkpoints carry them; set
them with ``set_stage(level, alpha)`` (:func:`progan_schedule` maps a step count to them).

Fixed-size interface: G always returns images of the full ``out_shape``; at lower levels the
current image is up-sampled with nearest neighbours (each pixel becomes a block). D always
takes full-size images and average-pools them to the current resolution first, which undoes
that up-sampling exactly and down-samples real images as the paper does. So the data
pipeline, metrics and sampling never need to know the stage. The paper also blends real
images during a fade-in; :func:`fade_real_images` does that and the D step applies it.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import EqualConv2d, EqualLinear, ProjectionHead, minibatch_stddev, pixel_norm
from .base import Net, discriminator_example_inputs, generator_example_inputs, register_net
from .mlp import GeneratorMixin

SQRT2 = math.sqrt(2.0)



def _blend(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """``old + alpha * (new - old)``: torch.lerp without its same-dtype rule, so the fade-in also
    works under autocast, where the two branches can come out in different precisions."""
    return old + alpha * (new - old)

def _levels(resolution: int) -> int:
    """Highest level for a resolution (4 -> 0, 8 -> 1, 32 -> 3)."""
    k = int(round(math.log2(resolution))) - 2
    if resolution < 4 or 4 * 2 ** k != resolution:
        raise ValueError(f"ProGAN resolution {resolution} must be a power of two >= 4 (e.g. 32; resize 28 px data to 32)")
    return k


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2)


def progan_schedule(step: int, phase_steps: int, max_level: int) -> tuple[int, float]:
    """(level, alpha) after ``step`` steps, with ``phase_steps`` steps per phase.

    Level 0 trains for one phase; each later level fades in for one phase (alpha 0 -> 1) and
    is then stabilised for one phase, as in the paper (which counts real images, 800k per
    phase). After the last level, alpha stays 1. A pure function of the step count, so a run
    resumed mid-phase continues the schedule exactly.
    """
    if phase_steps <= 0:
        raise ValueError(f"phase_steps must be positive, got {phase_steps}")
    if step < phase_steps:
        return 0, 1.0
    k, rem = divmod(step - phase_steps, 2 * phase_steps)
    if k + 1 > max_level:
        return max_level, 1.0
    return k + 1, min(rem / phase_steps, 1.0)


def _resize_to(x: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest up-sampling or average-pool down-sampling by a power of two."""
    if x.shape[-1] == size:
        return x
    if x.shape[-1] < size:
        return F.interpolate(x, scale_factor=size // x.shape[-1], mode="nearest")
    return F.avg_pool2d(x, x.shape[-1] // size)


def fade_real_images(x: torch.Tensor, level: int, alpha: float) -> torch.Tensor:
    """Blend real images like G's output during a fade-in (paper, section 3 / reference code).

    x: full-size images (N, C, R, R). At the current resolution r = 4 * 2**level returns
    ``lerp(up(down(x_r)), x_r, alpha)`` up-sampled back to R, where down/up go to r/2 and
    back; with alpha = 1 (or level 0) this is x_r up-sampled to R.
    """
    full, r = x.shape[-1], 4 * 2 ** level
    x_r = _resize_to(x, r)
    if level > 0 and alpha < 1.0:
        x_r = _blend(_resize_to(_resize_to(x_r, r // 2), r), x_r, alpha)
    return _resize_to(x_r, full)


class _GrowthState(nn.Module):
    """Buffers ``level`` and ``alpha`` shared by both ProGAN nets."""

    max_level: int

    def _init_growth(self, max_level: int) -> None:
        self.max_level = max_level
        self.register_buffer("level", torch.tensor(max_level, dtype=torch.int64))
        self.register_buffer("alpha", torch.tensor(1.0))

    def set_stage(self, level: int, alpha: float = 1.0) -> None:
        """Select the active level (0..max_level) and its fade-in weight alpha in [0, 1]."""
        if not 0 <= level <= self.max_level:
            raise ValueError(f"ProGAN level {level} is out of range 0..{self.max_level}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"ProGAN alpha {alpha} must be in [0, 1]")
        self.level.fill_(level)
        self.alpha.fill_(alpha)

    def _unused_at_stage(self, rgb_layers: str) -> set[str]:
        """Parameter names of the blocks above the current level and of the ``rgb_layers``
        (to_rgb or from_rgb) other than the current level's and, during a fade-in, the previous one's."""
        level, alpha = self.stage
        rgb = {level, level - 1} if level > 0 and alpha < 1.0 else {level}
        unused = tuple([f"{rgb_layers}.{k}." for k in range(self.max_level + 1) if k not in rgb]
                       + [f"blocks.{k - 1}." for k in range(level + 1, self.max_level + 1)])
        return {name for name, _ in self.named_parameters() if name.startswith(unused)}

    @property
    def stage(self) -> tuple[int, float]:
        return int(self.level), float(self.alpha)

    @property
    def resolution(self) -> int:
        """The current working resolution, 4 * 2**level."""
        return 4 * 2 ** int(self.level)


def _channels(resolution: int, channel_base: int, channel_max: int) -> int:
    return max(1, min(channel_base // resolution, channel_max))


@register_net("progan_g", help="ProGAN generator: progressive growing, pixelnorm, equalized lr (Karras et al. 2018)")
class ProGANGenerator(_GrowthState, GeneratorMixin, Net):
    """``G(z, c) -> x`` of shape (N, *out_shape), always full size (see the module docstring).

    Output is linear, as in the paper: approximately in [-1, 1], clamp for display. Channels
    at resolution r are ``min(channel_base // r, channel_max)`` (paper: 16384 and 512).
    With ``num_classes`` the one-hot label is concatenated to z (the paper's CIFAR-10 setup).
    A new net starts at the full resolution (level = max_level, alpha = 1).
    """

    def __init__(self, z_dim: int = 128, out_shape: Sequence[int] = (1, 32, 32), num_classes: int = 0,
                 channel_base: int = 2048, channel_max: int = 128) -> None:
        super().__init__()
        channels, res, res_w = out_shape
        if res != res_w:
            raise ValueError(f"ProGAN needs square images, got out_shape={tuple(out_shape)}")
        self.z_dim, self.num_classes, self.out_shape = z_dim, num_classes, tuple(out_shape)
        self._init_growth(_levels(res))
        ch = [_channels(4 * 2 ** k, channel_base, channel_max) for k in range(self.max_level + 1)]
        # 4x4 block: latent -> dense 4x4 (the paper's 4x4 "conv" on a 1x1 input) -> 3x3 conv
        self.dense = EqualLinear(z_dim + num_classes, ch[0] * 16, gain=SQRT2 / 4)
        self.conv0 = EqualConv2d(ch[0], ch[0], 3, gain=SQRT2)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualConv2d(ch[k - 1], ch[k], 3, gain=SQRT2), EqualConv2d(ch[k], ch[k], 3, gain=SQRT2)])
            for k in range(1, self.max_level + 1))
        self.to_rgb = nn.ModuleList(EqualConv2d(c, channels, 1, gain=1.0) for c in ch)

    @classmethod
    def example_args(cls) -> dict:
        return {"z_dim": 8, "out_shape": [1, 8, 8], "num_classes": 3, "channel_base": 64, "channel_max": 8}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """z (n, z_dim) and labels (n,)."""
        return generator_example_inputs(self, n, generator)

    def forward_unused_parameters(self) -> set[str]:
        """The blocks above the current level and the toRGB layers the current stage does not blend."""
        return self._unused_at_stage("to_rgb")

    def _block(self, k: int, h: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        for conv in self.blocks[k - 1]:
            h = pixel_norm(_lrelu(conv(h)))
        return h

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            if c is None:
                raise ValueError("conditional generator needs class labels c")
            z = torch.cat([z, F.one_hot(c.long(), self.num_classes).to(z.dtype)], dim=1)
        level, alpha = self.stage
        h = pixel_norm(z)  # latents on the sphere (section 4.2)
        h = pixel_norm(_lrelu(self.dense(h).view(z.shape[0], -1, 4, 4)))
        h = pixel_norm(_lrelu(self.conv0(h)))
        prev = h
        for k in range(1, level + 1):
            prev, h = h, self._block(k, h)
        img = self.to_rgb[level](h)
        if level > 0 and alpha < 1.0:  # fade-in: blend with the up-sampled image of the previous level
            img = _blend(F.interpolate(self.to_rgb[level - 1](prev), scale_factor=2, mode="nearest"), img, alpha)
        return _resize_to(img, self.out_shape[-1])


@register_net("progan_d", help="ProGAN discriminator: progressive growing, minibatch stddev, equalized lr")
class ProGANDiscriminator(_GrowthState, Net):
    """``D(x, c) -> logits`` (N,) for full-size x (N, *in_shape), pooled to the current level.

    The last block is the paper's: minibatch stddev (group size ``mbstd_group``), 3x3 conv,
    dense 4x4 -> C, dense C -> 1. With ``num_classes`` a projection term is added (the paper
    used an auxiliary classifier instead; projection keeps the logits-only contract).
    """

    def __init__(self, in_shape: Sequence[int] = (1, 32, 32), num_classes: int = 0, channel_base: int = 2048,
                 channel_max: int = 128, mbstd_group: int = 4) -> None:
        super().__init__()
        channels, res, res_w = in_shape
        if res != res_w:
            raise ValueError(f"ProGAN needs square images, got in_shape={tuple(in_shape)}")
        self.in_shape, self.num_classes, self.mbstd_group = tuple(in_shape), num_classes, mbstd_group
        self._init_growth(_levels(res))
        ch = [_channels(4 * 2 ** k, channel_base, channel_max) for k in range(self.max_level + 1)]
        self.from_rgb = nn.ModuleList(EqualConv2d(channels, c, 1, gain=SQRT2) for c in ch)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualConv2d(ch[k], ch[k], 3, gain=SQRT2), EqualConv2d(ch[k], ch[k - 1], 3, gain=SQRT2)])
            for k in range(1, self.max_level + 1))
        self.conv_last = EqualConv2d(ch[0] + 1, ch[0], 3, gain=SQRT2)
        self.dense = EqualLinear(ch[0] * 16, ch[0], gain=SQRT2)
        self.head = EqualLinear(ch[0], 1, gain=1.0)
        self.proj = ProjectionHead(num_classes, ch[0]) if num_classes else None

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 8, 8], "num_classes": 3, "channel_base": 64, "channel_max": 8, "mbstd_group": 2}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """x (n, *in_shape) in [-1, 1] and labels (n,)."""
        return discriminator_example_inputs(self, n, generator)

    def forward_unused_parameters(self) -> set[str]:
        """The blocks above the current level and the fromRGB layers the current stage does not blend."""
        return self._unused_at_stage("from_rgb")

    def _block(self, k: int, h: torch.Tensor) -> torch.Tensor:
        for conv in self.blocks[k - 1]:
            h = _lrelu(conv(h))
        return F.avg_pool2d(h, 2)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(f"ProGAN D expects full-size images {self.in_shape}, got {tuple(x.shape[1:])}")
        if self.num_classes and c is None:
            raise ValueError("conditional discriminator needs class labels c")
        level, alpha = self.stage
        x = _resize_to(x, 4 * 2 ** level)
        h = _lrelu(self.from_rgb[level](x))
        if level > 0:
            h = self._block(level, h)
            if alpha < 1.0:  # fade-in: blend with the previous level's input path
                h = _blend(_lrelu(self.from_rgb[level - 1](F.avg_pool2d(x, 2))), h, alpha)
        for k in range(level - 1, 0, -1):
            h = self._block(k, h)
        h = minibatch_stddev(h, self.mbstd_group, 1)
        h = _lrelu(self.conv_last(h))
        h = _lrelu(self.dense(h.flatten(1)))
        out = self.head(h).squeeze(1)
        if self.proj is not None:
            out = out + self.proj(h, c)
        return out
