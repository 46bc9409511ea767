"""Feature statistics and the Frechet distance between two Gaussians (FID; Heusel et al. 2017).

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))

The only costly term is t = tr((S1 S2)^(1/2)). Every route below computes it exactly (float64,
no iteration, no eps added), each the cheapest in its own regime:

``gram`` (from features): with centred, scaled features A = (F1 - mu1) / sqrt(n1 - 1) and
    B = (F2 - mu2) / sqrt(n2 - 1), S1 = A^T A and S2 = B^T B, so S1 S2 has the nonzero
    eigenvalues of M M^T with M = A B^T (n1 x n2), and t is the sum of M's singular values:
    one (n1 x n2 x d) product, one Gram of the smaller side and one symmetric eigensolve of
    size min(n1, n2). The cheapest route when there are fewer samples than dimensions, and the
    most accurate one (no zero eigenvalues beyond the one from centring); for at most d + 1
    samples on the smaller side (see :func:`choose_route`).
``cholesky`` (from statistics): S1 = L L^T (one Cholesky factor), then S1 S2 is similar to the
    symmetric L^T S2 L, and t is the sum of the square roots of its eigenvalues: a Cholesky, two
    triangular products and one symmetric eigensolve of size d. Needs one covariance positive
    definite (the other may be singular); the other one is tried when the first is not.
``eigh``: the previous route, S1^(1/2) from a full eigendecomposition, then the eigenvalues of
    S1^(1/2) S2 S1^(1/2); works for any pair of PSD matrices, the fallback when neither
    covariance is positive definite.
:func:`frechet_distance_scipy` is the textbook route of the reference implementations
(``scipy.linalg.sqrtm`` of S1 S2), kept to check the others.

:func:`frechet_distance` takes statistics (``cholesky``, falling back to ``eigh``);
:func:`fid_from_features` takes features and picks the route by its floating-point cost
(:func:`choose_route`), reusing cached statistics of one side when given them.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from scipy.linalg import blas
from scipy.linalg import cholesky as _cholesky
from scipy.linalg import eigh as _eigh

from ..errors import GanforgeError

ROUTES = ("gram", "cholesky", "eigh")
FEATURE_ROUTES = ("auto",) + ROUTES
STATS_ROUTES = ("auto", "cholesky", "eigh")

# A symmetric eigensolve runs at about 2.5x the time per FLOP of a matrix product (half of its
# tridiagonal reduction is matrix-vector work, bound by memory): measured on the project's CPU.
_EIGEN_WEIGHT = 2.5


def as_float64(x: Any, name: str = "features") -> torch.Tensor:
    """numpy array or tensor -> float64 CPU tensor."""
    t = torch.as_tensor(np.asarray(x)) if not isinstance(x, torch.Tensor) else x
    return t.detach().to("cpu", torch.float64)


def _as_array(x: Any) -> np.ndarray:
    """numpy array or tensor -> float64 numpy array (no copy when it already is one)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _checked_features(feats: Any, who: str) -> np.ndarray:
    f = _as_array(feats)
    if f.ndim != 2:
        raise GanforgeError(f"{who}: expected features (N, D), got shape {f.shape}")
    if f.shape[0] < 2:
        raise GanforgeError(f"{who}: need at least 2 samples for a covariance, got {f.shape[0]}")
    if not np.isfinite(f).all():
        raise GanforgeError(f"{who}: features contain NaN or inf (did the generator output NaN?)")
    return f


def _gram_t(x: np.ndarray) -> np.ndarray:
    """x^T x for x (N, D) as a full symmetric (D, D) array, with half the work of a product
    (BLAS syrk fills one triangle; the other is mirrored)."""
    # x.T is Fortran-ordered, so BLAS reads it without a copy; trans=0 gives x.T @ x.T.T
    upper = blas.dsyrk(1.0, x.T, trans=0, lower=0)
    return np.triu(upper) + np.triu(upper, 1).T


def feature_stats(feats: Any) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) features -> (mu (D,), sigma (D, D)) in float64, sigma unbiased (divides by N - 1).

    Computed from the whole matrix at once (centred two-pass formula), so the result does not
    depend on how the features were batched."""
    f = _checked_features(feats, "feature_stats")
    mu = f.mean(0)
    sigma = _gram_t(f - mu) / (f.shape[0] - 1)
    return mu, sigma


def _check_stats(mu1: Any, s1: Any, mu2: Any, s2: Any) -> tuple[np.ndarray, ...]:
    m1, m2, a, b = (_as_array(v) for v in (mu1, mu2, s1, s2))
    d = m1.shape[0] if m1.ndim == 1 else -1
    if m1.shape != (d,) or m2.shape != (d,) or a.shape != (d, d) or b.shape != (d, d):
        raise GanforgeError(f"frechet distance: shapes do not match: mu1 {m1.shape}, sigma1 {a.shape}, "
                            f"mu2 {m2.shape}, sigma2 {b.shape}")
    return m1, a, m2, b


def _sum_sqrt_eigvals(sym: np.ndarray, lower: bool) -> float:
    """Sum of the square roots of a symmetric PSD matrix's eigenvalues (one triangle read);
    tiny negative eigenvalues are round-off and count as zero."""
    ev = _eigh(sym, lower=lower, eigvals_only=True, overwrite_a=True, check_finite=False, driver="evd")
    return float(np.sqrt(np.clip(ev, 0, None)).sum())


def trace_sqrt_eigh(s1: Any, s2: Any) -> float:
    """tr((S1 S2)^(1/2)) for symmetric PSD S1, S2 via eigenvalues of S1^(1/2) S2 S1^(1/2)
    (a full eigendecomposition of S1: works for any PSD pair, about 4x the cost of Cholesky)."""
    a, b = as_float64(s1), as_float64(s2)
    a, b = (a + a.T) / 2, (b + b.T) / 2
    w, v = torch.linalg.eigh(a)
    root = (v * w.clamp_min(0).sqrt()) @ v.T  # S1^(1/2); tiny negative eigenvalues are round-off
    m = root @ b @ root
    ev = torch.linalg.eigvalsh((m + m.T) / 2)
    return float(ev.clamp_min(0).sqrt().sum())


def trace_sqrt_cholesky(s1: Any, s2: Any) -> float | None:
    """tr((S1 S2)^(1/2)) via S1 = L L^T and the eigenvalues of L^T S2 L; the roles are swapped
    when S1 is not positive definite. None when neither is (use :func:`trace_sqrt_eigh`)."""
    a, b = _as_array(s1), _as_array(s2)
    for p, q in ((a, b), (b, a)):
        try:
            low = _cholesky(p, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
        # the product is symmetric in exact arithmetic; the eigensolver reads its lower triangle
        w = blas.dtrmm(1.0, low, q, side=1, lower=1)                # Q L
        c = blas.dtrmm(1.0, low, w, side=0, lower=1, trans_a=1)     # L^T Q L
        return _sum_sqrt_eigvals(c, lower=True)
    return None


def trace_sqrt_product(s1: Any, s2: Any) -> float:
    """tr((S1 S2)^(1/2)) for symmetric PSD S1, S2: the Cholesky route, or the eigen route when
    neither matrix is positive definite."""
    t = trace_sqrt_cholesky(s1, s2)
    return trace_sqrt_eigh(s1, s2) if t is None else t


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, route: str = "auto") -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (float64).

    route: ``auto``/``cholesky`` (a Cholesky factor of one covariance and one symmetric
    eigensolve; ``eigh`` when neither covariance is positive definite) or ``eigh``."""
    if route not in STATS_ROUTES:
        raise GanforgeError(f"frechet distance route {route!r}: accepted from statistics: {', '.join(STATS_ROUTES)}")
    m1, a, m2, b = _check_stats(mu1, sigma1, mu2, sigma2)
    t = trace_sqrt_eigh(a, b) if route == "eigh" else trace_sqrt_product(a, b)
    diff = m1 - m2
    value = float(diff @ diff) + float(np.trace(a) + np.trace(b)) - 2 * t
    return max(value, 0.0)


def frechet_distance_scipy(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, eps: float = 1e-6) -> float:
    """The textbook formula through ``scipy.linalg.sqrtm(S1 @ S2)``, as in the TF FID code and
    pytorch-fid: when the product is singular enough that sqrtm fails, ``eps`` is added to both
    diagonals; the imaginary part from round-off is dropped."""
    import scipy.linalg

    m1, a, m2, b = _check_stats(mu1, sigma1, mu2, sigma2)
    diff = m1 - m2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        covmean = scipy.linalg.sqrtm(a @ b)
        if not np.isfinite(covmean).all():
            offset = np.eye(a.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((a + offset) @ (b + offset))
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(a) + np.trace(b) - 2 * np.trace(covmean))


def route_costs(n1: int, n2: int, d: int, stats1: bool = False, stats2: bool = False) -> dict[str, float]:
    """Estimated floating-point work (FLOPs, eigensolves weighted by their slower rate) of the
    ``gram`` and ``cholesky`` routes for features (n1, d) and (n2, d); ``stats1``/``stats2``: that side's statistics are
    already known (cached), so the statistics routes need not compute them."""
    small, large = min(n1, n2), max(n1, n2)
    gram = 2.0 * n1 * n2 * d + small * small * large + _EIGEN_WEIGHT * 4 / 3 * small ** 3
    stats = (0 if stats1 else n1 * d * d) + (0 if stats2 else n2 * d * d)
    cholesky = stats + d ** 3 / 3 + 2.0 * d ** 3 + _EIGEN_WEIGHT * 4 / 3 * d ** 3
    return {"gram": gram, "cholesky": cholesky}


def choose_route(n1: int, n2: int, d: int, stats1: bool = False, stats2: bool = False) -> str:
    """The cheapest accurate route for features (n1, d) vs (n2, d) (costs: :func:`route_costs`).

    ``gram`` is accurate when the smaller side has at most d + 1 samples: its Gram matrix then has
    a single zero eigenvalue (from centring); with more, it has min(n1, n2) - 1 - d more zero
    eigenvalues whose round-off, after the square root, adds up to ~1e-6 relative. ``cholesky``
    needs one covariance of full rank (n - 1 >= d on one side). With fewer samples than
    dimensions on both sides (n1 - 1 + n2 - 1 < 2d), ``gram`` is the only one and also the
    cheapest by far."""
    gram_ok, cholesky_ok = min(n1, n2) - 1 <= d, max(n1, n2) - 1 >= d
    if not cholesky_ok:
        return "gram"
    if not gram_ok:
        return "cholesky"
    costs = route_costs(n1, n2, d, stats1, stats2)
    return "gram" if costs["gram"] <= costs["cholesky"] else "cholesky"


def _trace_sqrt_gram(c1: np.ndarray, c2: np.ndarray, n1: int, n2: int) -> float:
    """Sum of the singular values of M = A B^T for centred features c1 (n1, d), c2 (n2, d),
    A = c1 / sqrt(n1 - 1), B = c2 / sqrt(n2 - 1): the square roots of the eigenvalues of the
    Gram matrix of M's shorter side."""
    m = (c1 @ c2.T) / math.sqrt((n1 - 1) * (n2 - 1))  # (n1, n2)
    # m.T is Fortran-ordered: BLAS reads it in place. trans=1 gives m m^T, trans=0 gives m^T m.
    g = blas.dsyrk(1.0, m.T, trans=1 if n1 <= n2 else 0, lower=0)
    return _sum_sqrt_eigvals(g, lower=False)


def fid_from_features(feats1: Any, feats2: Any, route: str = "auto",
                      stats2: tuple[Any, Any] | None = None) -> float:
    """Frechet distance between the Gaussians fitted to two (N, D) feature sets.

    route: ``auto`` (the cheapest exact route, :func:`choose_route`), ``gram``, ``cholesky`` or
    ``eigh``. ``stats2``: (mu, sigma) of ``feats2`` when already known (cached reference
    statistics), used by the statistics routes instead of recomputing them; they must be
    :func:`feature_stats` of ``feats2``."""
    if route not in FEATURE_ROUTES:
        raise GanforgeError(f"frechet distance route {route!r}: accepted from features: {', '.join(FEATURE_ROUTES)}")
    f1, f2 = _checked_features(feats1, "frechet distance (first features)"), \
        _checked_features(feats2, "frechet distance (second features)")
    (n1, d), (n2, d2) = f1.shape, f2.shape
    if d != d2:
        raise GanforgeError(f"frechet distance: feature dimensions differ: {d} vs {d2}")
    if route == "auto":
        route = choose_route(n1, n2, d, stats2=stats2 is not None)
    elif route == "gram" and min(n1, n2) - 1 > d:
        raise GanforgeError(f"frechet distance route 'gram': {min(n1, n2)} samples on the smaller side exceed the "
                            f"{d} dimensions + 1, where it loses accuracy; use route 'cholesky' or 'auto'")
    if route != "gram":
        s1 = feature_stats(f1)
        s2 = stats2 if stats2 is not None else feature_stats(f2)
        return frechet_distance(*s1, *s2, route="eigh" if route == "eigh" else "cholesky")
    mu1, mu2 = f1.mean(0), f2.mean(0)
    c1, c2 = f1 - mu1, f2 - mu2
    diff = mu1 - mu2
    traces = float(np.einsum("ij,ij->", c1, c1)) / (n1 - 1) + float(np.einsum("ij,ij->", c2, c2)) / (n2 - 1)
    value = float(diff @ diff) + traces - 2 * _trace_sqrt_gram(c1, c2, n1, n2)
    return max(value, 0.0)
