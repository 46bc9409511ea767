"""U-Net generator with skip connections and dropout: pix2pix (Isola et al. 2017, sec. 3.2.1
and appendix 6.1.1; Ronneberger et al. 2015).

Encoder: ``depth`` stride-2 4x4 convolutions, C64-C128-C256-C512-C512-... (``width`` doubling,
capped at ``max_channels``), LeakyReLU(0.2), batch norm everywhere except the first and the
innermost layer. Decoder: stride-2 4x4 transposed convolutions with ReLU, each taking the
previous decoder output concatenated with the encoder activation of the same size (the skip
connections), dropout 0.5 in the ``dropout_layers`` decoder layers after the innermost one
(the paper's CD512-CD512-CD512), ``tanh`` at the end.

The paper's 256 px generator has depth 8 (256 -> 1 px). Here ``depth`` defaults to "down to
1x1" for the input size; sizes that are not a multiple of 2**depth (28 px MNIST) are padded
up (28 -> 32, replicate padding) and the output cropped back, so any size works.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import Net, register_net
from .translator import TranslatorMixin, check_input, init_normal, levels_for, norm2d, pad_to_multiple, unpad


@register_net("unet_g", help="U-Net translator with skips and dropout (pix2pix); any size, depth configurable")
class UNetGenerator(TranslatorMixin, Net):
    """``T(x) -> y``: (N, *in_shape) in [-1, 1] -> (N, out_channels, H, W) in [-1, 1].

    ``depth``: number of stride-2 levels (None: enough to reach 1x1, at most 8).
    ``norm``: ``batch`` (paper) or ``instance``/``none``. Dropout is active in train mode only.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), out_channels: int = 1, width: int = 64,
                 depth: int | None = None, max_channels: int = 512, norm: str = "batch",
                 dropout: float = 0.5, dropout_layers: int = 3) -> None:
        super().__init__()
        c_in, h, w = in_shape
        self.in_shape = tuple(in_shape)
        self.out_shape = (out_channels, h, w)
        self.depth = depth if depth is not None else levels_for(max(h, w))
        if self.depth < 2:
            raise ValueError(f"unet_g depth must be at least 2, got {self.depth}")
        d = self.depth
        chans = [min(width * 2 ** i, max_channels) for i in range(d)]
        bias = norm != "batch"  # a bias before batch norm is cancelled by it
        self.down = nn.ModuleList()
        for i in range(d):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(c_in if i == 0 else chans[i - 1], chans[i], 4, 2, 1, bias=bias or i in (0, d - 1)))
            if 0 < i < d - 1:  # no norm on the input layer nor on the 1x1 bottleneck
                layers.append(norm2d(norm, chans[i]))
            self.down.append(nn.Sequential(*layers))
        # up[j] produces the activation at level d-2-j (the size of down[d-2-j]'s output).
        self.up = nn.ModuleList()
        for j in range(d):
            level = d - 1 - j  # the encoder level whose output (plus skip) this layer reads
            cin = chans[level] if j == 0 else 2 * chans[level]
            outermost = j == d - 1
            cout = out_channels if outermost else chans[level - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias or outermost)]
            if outermost:
                layers.append(nn.Tanh())
            else:
                layers.append(norm2d(norm, cout))
                if 1 <= j <= dropout_layers and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_normal(self)

    @classmethod
    def example_args(cls) -> dict:
        # 12 px is padded to 16 (four levels) and cropped back; dropout only after the innermost level
        return {"in_shape": [1, 12, 12], "out_channels": 2, "width": 4, "max_channels": 8, "dropout_layers": 1}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Images (n, *in_shape) in [-1, 1]."""
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_shape, "unet_g")
        x, pads = pad_to_multiple(x, 2 ** self.depth)
        skips = []
        h = x
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        h = self.up[0](skips[-1])
        for j, layer in enumerate(self.up[1:], start=1):
            h = layer(torch.cat([h, skips[self.depth - 1 - j]], dim=1))
        return unpad(h, pads)
