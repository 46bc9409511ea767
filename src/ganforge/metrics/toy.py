"""Mode-collapse metrics on 2-D Gaussian mixtures (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et
al. 2018).

Protocol (2,500 generated samples in both papers): a sample is *high quality* when it lies
within 3 standard deviations of its nearest mode; a mode is *captured* when at least one
high-quality sample is nearest to it; the *reverse KL* is KL(q || uniform) where q is the
histogram of the high-quality samples over the modes (modes without samples add nothing,
so it is finite; 0 means perfectly balanced, log K means one mode only).

The mixtures, as in PacGAN's code (synthetic_data_experiments/2D{Ring,Grid}_GAN&PacGAN/config.py):

- ``ring8``: 8 modes evenly spaced on the unit circle, (cos 2 pi i / 8, sin 2 pi i / 8), std 0.01.
- ``grid25``: 25 modes at (i, j) for i, j in {-4, -2, 0, 2, 4}, std 0.05.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from ..errors import GanforgeError
from .frechet import as_float64


def _ring8() -> torch.Tensor:
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def _grid25() -> torch.Tensor:
    coords = torch.arange(-4, 5, 2, dtype=torch.float64)
    return torch.cartesian_prod(coords, coords)


# name -> (mode centres (K, 2) float64, standard deviation of every component)
TOY_MODES: dict[str, tuple[torch.Tensor, float]] = {
    "ring8": (_ring8(), 0.01),
    "grid25": (_grid25(), 0.05),
}

TOY_NUM_SAMPLES = 2500  # samples per evaluation in VEEGAN and PacGAN


def mode_metrics(samples: Any, centres: Any, std: float, threshold: float = 3.0) -> dict[str, float]:
    """Mode coverage of (N, 2) ``samples`` for a mixture with (K, 2) ``centres`` and ``std``.

    Returns ``modes_captured`` (count, as float), ``high_quality`` (fraction in [0, 1]),
    ``reverse_kl`` (nats, in [0, log K]) and ``num_modes``. When no sample is high quality the
    histogram is empty and KL is undefined; ``reverse_kl`` is then ``log K``, its largest
    value (that of a single captured mode), so averages over runs stay finite and honest."""
    x, c = as_float64(samples), as_float64(centres)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise GanforgeError(f"toy metrics: expected samples (N, D) and centres (K, D), got {tuple(x.shape)} "
                            f"and {tuple(c.shape)}")
    if x.shape[0] == 0:
        raise GanforgeError("toy metrics: no samples given")
    if std <= 0:
        raise GanforgeError(f"toy metrics: std must be positive, got {std}")
    k = c.shape[0]
    dist = torch.cdist(x, c)  # (N, K)
    nearest_d, nearest = dist.min(dim=1)
    good = torch.isfinite(nearest_d) & (nearest_d < threshold * std)
    hist = torch.bincount(nearest[good], minlength=k).double()
    n_good = float(hist.sum())
    if n_good > 0:
        q = hist / n_good
        nz = q > 0
        rkl = float((q[nz] * (q[nz] * k).log()).sum())
    else:
        rkl = math.log(k)
    return {"modes_captured": float((hist > 0).sum()), "high_quality": n_good / x.shape[0],
            "reverse_kl": rkl, "num_modes": float(k)}


def toy_metrics(samples: Any, name: str) -> dict[str, float]:
    """:func:`mode_metrics` for a mixture of :data:`TOY_MODES` (``ring8`` or ``grid25``)."""
    if name not in TOY_MODES:
        raise GanforgeError(f"toy mixture {name!r}: accepted names are {', '.join(TOY_MODES)}")
    centres, std = TOY_MODES[name]
    return mode_metrics(samples, centres, std)


def evaluate_toy(G: torch.nn.Module, name: str, n: int = TOY_NUM_SAMPLES, seed: int = 0) -> dict[str, float]:
    """:func:`toy_metrics` of ``n`` samples of a 2-D generator (``G(z)`` with ``sample_latent``),
    drawn in eval mode from ``torch.Generator().manual_seed(seed)``; the training mode is restored."""
    if not hasattr(G, "sample_latent"):
        raise GanforgeError(f"evaluate_toy: {type(G).__name__} has no sample_latent (not a ganforge generator)")
    param = next(iter(G.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            z = G.sample_latent(n, generator=torch.Generator().manual_seed(seed)).to(device)
            x = G(z).reshape(n, -1)
    finally:
        G.train(was_training)
    return toy_metrics(x.cpu(), name)
