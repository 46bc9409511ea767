"""ResNet-block translator: Johnson et al. 2016 (perceptual losses), as used by CycleGAN
(Zhu et al. 2017, appendix 7.2).

c7s1-64, d128, d256, R256 x ``n_blocks``, u128, u64, c7s1-out: a 7x7 convolution with
reflection padding, ``n_down`` stride-2 3x3 convolutions, residual blocks (3x3 conv, norm,
ReLU, 3x3 conv, norm, plus the input; reflection padding), ``n_down`` stride-2 transposed
convolutions, a 7x7 convolution and ``tanh``. Instance norm throughout (Ulyanov et al. 2016).
CycleGAN uses 6 blocks at 128 px and 9 at 256 px. Sizes not divisible by 2**n_down are
padded and cropped back.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import Net, register_net
from .translator import TranslatorMixin, check_input, init_normal, norm2d, pad_to_multiple, unpad


class ResnetBlock(nn.Module):
    """x + conv-norm-relu-(dropout)-conv-norm(x), reflection padded, (N, C, H, W) -> same."""

    def __init__(self, channels: int, norm: str, dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm != "batch"),
                                   norm2d(norm, channels), nn.ReLU(True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm != "batch"), norm2d(norm, channels)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register_net("resnet_g", help="ResNet-block translator (Johnson et al. / CycleGAN): reflection padding, instance norm")
class ResnetGenerator(TranslatorMixin, Net):
    """``T(x) -> y``: (N, *in_shape) in [-1, 1] -> (N, out_channels, H, W) in [-1, 1]."""

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), out_channels: int = 1, width: int = 64,
                 n_blocks: int = 6, n_down: int = 2, norm: str = "instance", dropout: float = 0.0) -> None:
        super().__init__()
        c_in, h, w = in_shape
        self.in_shape, self.out_shape, self.n_down = tuple(in_shape), (out_channels, h, w), n_down
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(c_in, width, 7, bias=bias),
                                   norm2d(norm, width), nn.ReLU(True)]
        ch = width
        for _ in range(n_down):
            layers += [nn.Conv2d(ch, ch * 2, 3, 2, 1, bias=bias), norm2d(norm, ch * 2), nn.ReLU(True)]
            ch *= 2
        layers += [ResnetBlock(ch, norm, dropout) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, 2, 1, output_padding=1, bias=bias),
                       norm2d(norm, ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, out_channels, 7), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        init_normal(self)

    @classmethod
    def example_args(cls) -> dict:
        # 10 px is padded to 12 (two stride-2 levels) and cropped back
        return {"in_shape": [3, 10, 10], "out_channels": 2, "width": 4, "n_blocks": 1}

    def example_inputs(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor]:
        """Images (n, *in_shape) in [-1, 1]."""
        return (torch.rand(n, *self.in_shape, generator=generator) * 2 - 1,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_shape, "resnet_g")
        x, pads = pad_to_multiple(x, 2 ** self.n_down)
        return unpad(self.body(x), pads)
