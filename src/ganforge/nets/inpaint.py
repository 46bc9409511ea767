"""Inpainting generator that sees the mask, after the completion network of Iizuka et al.
2017 ("Globally and Locally Consistent Image Completion", table 1), scaled down.

Input: the masked image concatenated with the mask channel (Pathak et al. 2016 fill the hole
and give no mask; seeing the mask tells the network which pixels to invent). Encoder:
5x5 conv, then two (stride-2 3x3 conv, 3x3 conv) stages; a middle of dilated 3x3 convolutions
(dilation 2, 4, 8, 16 in the paper) that widens the receptive field without losing
resolution; decoder: two (stride-2 4x4 transposed conv, 3x3 conv) stages, a 3x3 conv and
``tanh``. Batch norm and ReLU as in the paper.

The output is composited: ``y = mask * net(x) + (1 - mask) * x``, so the known pixels are kept
exactly and only the hole is generated. The hole's content in ``x`` is ignored (the network
sees ``x * (1 - mask)``).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import Net, register_net
from .translator import TranslatorMixin, check_input, norm2d, pad_to_multiple, unpad


def _conv(cin: int, cout: int, k: int, stride: int = 1, dilation: int = 1, norm: str = "batch") -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, bias=norm != "batch"),
                         norm2d(norm, cout), nn.ReLU(True))


@register_net("inpaint_g", help="inpainting generator: masked image + mask in, dilated middle, known pixels kept")
class InpaintGenerator(TranslatorMixin, Net):
    """``T(x_masked, mask) -> y``.

    ``x_masked``: (N, C, H, W) in [-1, 1]; ``mask``: (N, 1, H, W) or (N, H, W), 1 on the hole
    and 0 on known pixels. Returns (N, C, H, W) in [-1, 1], equal to ``x_masked`` where mask=0.
    ``in_shape`` is the shape of one image (without the mask channel).
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), width: int = 32,
                 dilations: Sequence[int] = (2, 4, 8), norm: str = "batch") -> None:
        super().__init__()
        c = in_shape[0]
        self.in_shape = self.out_shape = tuple(in_shape)
        w = width
        self.encoder = nn.Sequential(
            _conv(c + 1, w, 5, norm=norm),
            _conv(w, 2 * w, 3, 2, norm=norm), _conv(2 * w, 2 * w, 3, norm=norm),
            _conv(2 * w, 4 * w, 3, 2, norm=norm), _conv(4 * w, 4 * w, 3, norm=norm))
        self.middle = nn.Sequential(*[_conv(4 * w, 4 * w, 3, dilation=d, norm=norm) for d in dilations],
                                    _conv(4 * w, 4 * w, 3, norm=norm))
        bias = norm != "batch"
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=bias), norm2d(norm, 2 * w), nn.ReLU(True),
            _conv(2 * w, 2 * w, 3, norm=norm),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=bias), norm2d(norm, w), nn.ReLU(True),
            _conv(w, w // 2 or 1, 3, norm=norm),
            nn.Conv2d(w // 2 or 1, c, 3, 1, 1), nn.Tanh())

    @classmethod
    def example_args(cls) -> dict:
        return {"in_shape": [1, 16, 16], "width": 4, "dilations": [2]}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (n, *in_shape) in [-1, 1] and a mask (n, 1, H, W) with a centred square hole
        of half the image's side."""
        x = torch.rand(n, *self.in_shape, generator=generator) * 2 - 1
        h, w = self.in_shape[1:]
        mask = torch.zeros(n, 1, h, w)
        mask[..., h // 4: h // 4 + h // 2, w // 4: w // 4 + w // 2] = 1.0
        return x, mask

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_shape, "inpaint_g")
        if mask.dim() == 3:
            mask = mask.unsqueeze(1)
        if mask.shape[0] != x.shape[0] or mask.shape[1] != 1 or mask.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"inpaint_g: mask must be (N, 1, H, W) matching the image {tuple(x.shape)}, "
                             f"got {tuple(mask.shape)}")
        mask = mask.to(x.dtype)
        known = x * (1 - mask)
        h, pads = pad_to_multiple(torch.cat([known, mask], dim=1), 4)
        out = unpad(self.decoder(self.middle(self.encoder(h))), pads)
        return mask * out + known
