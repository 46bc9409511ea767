"""Toy distributions for studying the GAN game: ``ring8``, ``grid25`` and ``gauss1d``.

Samples are generated once from a fixed seed (``cfg.options['seed']``, default 0) so a run is
reproducible; labels are the index of the mixture component, so conditional families can
train on them too. Mode centres and standard deviations follow the mode-collapse literature
(VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018) and are also used by the toy
metrics.
"""
from __future__ import annotations

import math

import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset

DEFAULT_SIZE = 100_000


def ring8_modes() -> torch.Tensor:
    """8 centres evenly spaced on a circle of radius 1, (8, 2)."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=1).float()


def grid25_modes() -> torch.Tensor:
    """25 centres on the grid {-4, -2, 0, 2, 4}^2, (25, 2)."""
    ticks = torch.arange(-4.0, 5.0, 2.0)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


# name -> (centres (K, D), per-axis standard deviation)
TOY_MODES: dict[str, tuple[torch.Tensor, float]] = {
    "ring8": (ring8_modes(), 0.01),
    "grid25": (grid25_modes(), 0.05),
    "gauss1d": (torch.tensor([[4.0]]), 0.5),
}


def sample_mixture(name: str, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points (n, D) from the equal-weight Gaussian mixture ``name`` and their component ids (n,)."""
    centres, std = TOY_MODES[name]
    comp = torch.randint(len(centres), (n,), generator=generator)
    x = centres[comp] + std * torch.randn(n, centres.shape[1], generator=generator)
    return x, comp


def _builder(name: str, help: str):
    def build(cfg) -> TensorDataset:
        opts = dict(cfg.options)
        seed = int(opts.pop("seed", 0))
        n = int(opts.pop("size", cfg.limit or DEFAULT_SIZE))
        if opts:
            raise GanforgeError(f"data.options {sorted(opts)} not understood by {name!r}; accepted: seed, size")
        if n <= 0:
            raise GanforgeError(f"data.options.size must be positive, got {n}")
        g = torch.Generator().manual_seed(seed + (0 if cfg.split == "train" else 1_000_003))
        x, y = sample_mixture(name, n, g)
        k = len(TOY_MODES[name][0])
        info = DataInfo(name=name, kind="points", shape=(x.shape[1],), num_classes=k if k > 1 else 0,
                        extra={"modes": TOY_MODES[name][0].tolist(), "std": TOY_MODES[name][1]})
        fields = {"x": x} if k == 1 else {"x": x, "y": y}
        return TensorDataset(fields, info)

    register_dataset(name, help=help)(build)


_builder("ring8", "8 Gaussians on a circle (radius 1, std 0.01), labelled by mode")
_builder("grid25", "25 Gaussians on a 5x5 grid (spacing 2, std 0.05), labelled by mode")
_builder("gauss1d", "a 1-D Gaussian N(4, 0.5^2), as in the original GAN paper's figure")
