"""Per-layer noise inputs (Karras et al. 2019, StyleGAN section 3.2).

Single-channel Gaussian noise, scaled by a learned per-layer strength (starting at 0), is
added to every synthesis layer's output: it lets the generator place stochastic detail
(hair, pores, grain) without spending its latent capacity on it.
"""
from __future__ import annotations

import torch
from torch import nn

NOISE_MODES = ("random", "const", "none")


class NoiseInjection(nn.Module):
    """``x + strength * noise`` with noise of shape (N, 1, H, W), broadcast over channels.

    ``mode``: ``random`` draws fresh noise (from ``generator`` when given, on the CPU, so a
    seeded draw is the same on every device), ``const`` uses the fixed buffer ``noise_const``
    (saved with the model: deterministic sampling), ``none`` adds nothing.
    """

    def __init__(self, resolution: int) -> None:
        super().__init__()
        self.resolution = resolution
        self.strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor, mode: str = "random", generator: torch.Generator | None = None) -> torch.Tensor:
        if mode == "none":
            return x
        if mode == "const":
            noise = self.noise_const
        elif mode == "random":
            shape = (x.shape[0], 1, x.shape[2], x.shape[3])
            if generator is None:
                noise = torch.randn(shape, device=x.device, dtype=x.dtype)
            else:
                noise = torch.randn(shape, generator=generator, device=generator.device).to(x.device, x.dtype)
        else:
            raise ValueError(f"noise mode {mode!r} is not one of {', '.join(NOISE_MODES)}")
        return x + noise * self.strength
