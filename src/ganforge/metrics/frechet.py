"""Feature statistics and the Frechet distance between two Gaussians (FID; Heusel et al. 2017).

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))

:func:`frechet_distance` computes tr((S1 S2)^(1/2)) from eigenvalues: S1 S2 is similar to the
symmetric positive semi-definite matrix A = S1^(1/2) S2 S1^(1/2), so the trace is the sum of the
square roots of A's eigenvalues; two symmetric eigendecompositions in float64, with no complex
arithmetic and no iterative square root. :func:`frechet_distance_scipy` is the textbook route of
the reference implementations (``scipy.linalg.sqrtm`` of S1 S2), kept to check the fast one.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError


def as_float64(x: Any, name: str = "features") -> torch.Tensor:
    """numpy array or tensor -> float64 CPU tensor."""
    t = torch.as_tensor(np.asarray(x)) if not isinstance(x, torch.Tensor) else x
    return t.detach().to("cpu", torch.float64)


def feature_stats(feats: Any) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) features -> (mu (D,), sigma (D, D)) in float64, sigma unbiased (divides by N - 1).

    Computed from the whole matrix at once (centred two-pass formula), so the result does not
    depend on how the features were batched."""
    f = as_float64(feats)
    if f.ndim != 2:
        raise GanforgeError(f"feature_stats: expected features (N, D), got shape {tuple(f.shape)}")
    if f.shape[0] < 2:
        raise GanforgeError(f"feature_stats: need at least 2 samples for a covariance, got {f.shape[0]}")
    if not torch.isfinite(f).all():
        raise GanforgeError("feature_stats: features contain NaN or inf (did the generator output NaN?)")
    mu = f.mean(0)
    c = f - mu
    sigma = (c.T @ c) / (f.shape[0] - 1)
    return mu.numpy(), sigma.numpy()


def _check_stats(mu1: Any, s1: Any, mu2: Any, s2: Any) -> tuple[torch.Tensor, ...]:
    m1, m2, a, b = (as_float64(v) for v in (mu1, mu2, s1, s2))
    d = m1.shape[0]
    if m1.shape != (d,) or m2.shape != (d,) or a.shape != (d, d) or b.shape != (d, d):
        raise GanforgeError(f"frechet distance: shapes do not match: mu1 {tuple(m1.shape)}, sigma1 {tuple(a.shape)}, "
                            f"mu2 {tuple(m2.shape)}, sigma2 {tuple(b.shape)}")
    return m1, a, m2, b


def trace_sqrt_product(s1: Any, s2: Any) -> float:
    """tr((S1 S2)^(1/2)) for symmetric PSD S1, S2 via eigenvalues of S1^(1/2) S2 S1^(1/2)."""
    a, b = as_float64(s1), as_float64(s2)
    a, b = (a + a.T) / 2, (b + b.T) / 2
    w, v = torch.linalg.eigh(a)
    root = (v * w.clamp_min(0).sqrt()) @ v.T  # S1^(1/2); tiny negative eigenvalues are round-off
    m = root @ b @ root
    ev = torch.linalg.eigvalsh((m + m.T) / 2)
    return float(ev.clamp_min(0).sqrt().sum())


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (float64, eigenvalue route)."""
    m1, a, m2, b = _check_stats(mu1, sigma1, mu2, sigma2)
    diff = m1 - m2
    value = float(diff @ diff) + float(torch.trace(a) + torch.trace(b)) - 2 * trace_sqrt_product(a, b)
    return max(value, 0.0)


def frechet_distance_scipy(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, eps: float = 1e-6) -> float:
    """The textbook formula through ``scipy.linalg.sqrtm(S1 @ S2)``, as in the TF FID code and
    pytorch-fid: when the product is singular enough that sqrtm fails, ``eps`` is added to both
    diagonals; the imaginary part from round-off is dropped."""
    import scipy.linalg

    m1, a, m2, b = (t.numpy() for t in _check_stats(mu1, sigma1, mu2, sigma2))
    diff = m1 - m2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covmean = scipy.linalg.sqrtm(a @ b)
        if not np.isfinite(covmean).all():
            offset = np.eye(a.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((a + offset) @ (b + offset))
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(a) + np.trace(b) - 2 * np.trace(covmean))


def fid_from_features(feats1: Any, feats2: Any) -> float:
    """Frechet distance between the Gaussians fitted to two (N, D) feature sets."""
    return frechet_distance(*feature_stats(feats1), *feature_stats(feats2))
