"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs").

KID is the squared maximum mean discrepancy between feature sets under the cubic polynomial
kernel k(x, y) = (x.y / d + 1)^3, estimated without bias (the diagonal terms are left out of
the within-set averages):

    MMD^2 = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(m(m-1)) sum_{i!=j} k(y_i, y_j) - 2/m^2 sum_{i,j} k(x_i, y_j)

It is averaged over ``num_subsets`` random subsets of ``subset_size`` samples from each set
(100 subsets of 1000, as in the paper's code and StyleGAN2-ADA); the standard deviation over the
subsets is reported too. Unbiased, so it can be slightly negative for equal distributions.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError
from .frechet import as_float64


def polynomial_mmd2(x: torch.Tensor, y: torch.Tensor, degree: int = 3, gamma: float | None = None,
                    coef0: float = 1.0) -> float:
    """Unbiased MMD^2 between (m, d) and (n, d) float64 features under (gamma x.y + coef0)^degree."""
    m, n, d = x.shape[0], y.shape[0], x.shape[1]
    if m < 2 or n < 2:
        raise GanforgeError(f"KID: need at least 2 samples in each set, got {m} and {n}")
    g = 1.0 / d if gamma is None else gamma
    kxx = (g * (x @ x.T) + coef0) ** degree
    kyy = (g * (y @ y.T) + coef0) ** degree
    kxy = (g * (x @ y.T) + coef0) ** degree
    sxx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    syy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return float(sxx + syy - 2 * kxy.mean())


def kid(feats1: Any, feats2: Any, num_subsets: int = 100, subset_size: int = 1000, seed: int = 0,
        degree: int = 3) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD^2 over random subsets.

    feats1, feats2: (N1, D) and (N2, D) features (numpy or torch). Each subset draws
    ``subset_size`` rows without replacement from each set (a generator seeded with ``seed``).
    Raises GanforgeError when ``subset_size`` exceeds either set's size."""
    x, y = as_float64(feats1), as_float64(feats2)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise GanforgeError(f"KID: expected two (N, D) feature sets of equal D, got {tuple(x.shape)} and {tuple(y.shape)}")
    if num_subsets < 1:
        raise GanforgeError(f"KID: num_subsets must be >= 1, got {num_subsets}")
    if subset_size < 2:
        raise GanforgeError(f"KID: subset_size must be >= 2, got {subset_size}")
    small = min(x.shape[0], y.shape[0])
    if subset_size > small:
        raise GanforgeError(f"KID: subset_size {subset_size} is larger than the number of samples "
                            f"({x.shape[0]} and {y.shape[0]}); use more samples or kid_subset_size <= {small}")
    gen = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(num_subsets):
        i = torch.randperm(x.shape[0], generator=gen)[:subset_size]
        j = torch.randperm(y.shape[0], generator=gen)[:subset_size]
        values.append(polynomial_mmd2(x[i], y[j], degree=degree))
    v = np.asarray(values)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
