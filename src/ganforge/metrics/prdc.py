"""Precision and recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020).

A set's manifold is approximated by the union of balls around its samples, each ball reaching
the sample's k-th nearest neighbour within the same set (the sample itself not counted).

- precision: fraction of fake samples inside the real manifold (k = 3 by default).
- recall: fraction of real samples inside the fake manifold (k = 3).
- density: (1 / (k M)) sum_j sum_i 1[fake_j in ball(real_i)], how many real balls hold each fake
  sample on average, divided by k (about 1 for equal distributions; can exceed 1) (k = 5).
- coverage: fraction of real samples whose ball holds at least one fake sample (k = 5).

Distances are Euclidean, computed in float64 in row blocks so memory stays small; every
sample's result depends only on the sets, not on the block size.
"""
from __future__ import annotations

from typing import Any

import torch

from ..errors import GanforgeError
from .frechet import as_float64


def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances (len(a), len(b)), clamped at 0 against round-off."""
    d = (a * a).sum(1, keepdim=True) - 2 * (a @ b.T) + (b * b).sum(1)[None, :]
    return d.clamp_min_(0)


def kth_neighbour_radii(x: torch.Tensor, k: int, block: int = 1024) -> torch.Tensor:
    """Squared distance from each row of x (N, D) to its k-th nearest other row: (N,)."""
    n = x.shape[0]
    if n <= k:
        raise GanforgeError(f"k-NN manifold: need more than k = {k} samples, got {n}")
    out = torch.empty(n, dtype=x.dtype)
    for lo in range(0, n, block):
        d = _sq_dists(x[lo:lo + block], x)
        rows = torch.arange(d.shape[0])
        d[rows, rows + lo] = float("inf")  # a sample is not its own neighbour
        out[lo:lo + block] = d.kthvalue(k, dim=1).values
    return out


def _ball_counts(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                 block: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For each point: how many balls (centres, squared radii) contain it; for each centre:
    whether any point lies in its ball."""
    counts = torch.zeros(points.shape[0], dtype=torch.long)
    hit = torch.zeros(centres.shape[0], dtype=torch.bool)
    for lo in range(0, points.shape[0], block):
        inside = _sq_dists(points[lo:lo + block], centres) <= radii[None, :]
        counts[lo:lo + block] = inside.sum(1)
        hit |= inside.any(0)
    return counts, hit


def _pair(real: Any, fake: Any) -> tuple[torch.Tensor, torch.Tensor]:
    r, f = as_float64(real), as_float64(fake)
    if r.ndim != 2 or f.ndim != 2 or r.shape[1] != f.shape[1]:
        raise GanforgeError(f"precision/recall: expected two (N, D) feature sets of equal D, got "
                            f"{tuple(r.shape)} and {tuple(f.shape)}")
    return r, f


def precision_recall(real: Any, fake: Any, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) of fake against real features."""
    r, f = _pair(real, fake)
    r_radii, f_radii = kth_neighbour_radii(r, k), kth_neighbour_radii(f, k)
    in_real, _ = _ball_counts(f, r, r_radii)
    in_fake, _ = _ball_counts(r, f, f_radii)
    return float((in_real > 0).double().mean()), float((in_fake > 0).double().mean())


def density_coverage(real: Any, fake: Any, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) of fake against real features."""
    r, f = _pair(real, fake)
    r_radii = kth_neighbour_radii(r, k)
    counts, covered = _ball_counts(f, r, r_radii)
    return float(counts.double().sum() / (k * f.shape[0])), float(covered.double().mean())
