"""Self-attention block (Zhang et al. 2019, SAGAN section 3), as used in BigGAN.

Every position attends to every other: query f(x), key g(x) and value h(x) are 1x1
convolutions, the attention map is softmax over positions of f(x)^T g(x), and the attended
values return through a 1x1 convolution scaled by a learned gamma that starts at 0, so the
network first relies on local convolutions and learns to use long-range cues gradually.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """x (N, C, H, W) -> x + gamma * o(attention(x)), same shape. C must be >= 8.

    Query/key use C/8 channels and values C/2 (BigGAN's sizes; SAGAN's paper uses C for
    values). ``pool=True`` max-pools keys and values 2x2 (BigGAN's memory saving, H and W
    must be even), so each of the HW queries attends to HW/4 positions.
    """

    def __init__(self, channels: int, pool: bool = True) -> None:
        super().__init__()
        if channels < 8:
            raise ValueError(f"SelfAttention needs at least 8 channels, got {channels}")
        self.channels, self.pool = channels, pool
        self.query = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.key = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.value = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.out = nn.Conv2d(channels // 2, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2)  # (N, C/8, HW)
        k, v = self.key(x), self.value(x)
        if self.pool:
            k, v = F.max_pool2d(k, 2), F.max_pool2d(v, 2)
        k, v = k.flatten(2), v.flatten(2)  # (N, C/8, M), (N, C/2, M)
        attn = torch.softmax(torch.bmm(q.transpose(1, 2), k), dim=-1)  # (N, HW, M): rows sum to 1
        o = torch.bmm(v, attn.transpose(1, 2)).view(n, c // 2, h, w)
        return x + self.gamma * self.out(o)
