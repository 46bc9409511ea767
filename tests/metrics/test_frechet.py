"""Frechet distance: every route (gram, cholesky, eigh) agrees with scipy's sqrtm route on full-rank
and rank-deficient cases; the automatic choice; statistics are exact."""
import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.frechet import (
    choose_route,
    feature_stats,
    fid_from_features,
    frechet_distance,
    frechet_distance_scipy,
    trace_sqrt_cholesky,
    trace_sqrt_product,
)


def _random_cov(rng: np.random.Generator, d: int, rank: int) -> np.ndarray:
    a = rng.normal(size=(d, rank)) * rng.uniform(0.1, 2.0, size=rank)
    return a @ a.T / rank


@pytest.mark.parametrize("route", ["auto", "cholesky", "eigh"])
@pytest.mark.parametrize("d,rank1,rank2", [(32, 32, 32), (64, 64, 64), (64, 20, 64), (64, 20, 35), (128, 50, 50)])
def test_statistics_routes_match_scipy(d, rank1, rank2, route):
    rng = np.random.default_rng(d + rank1 + rank2)
    s1, s2 = _random_cov(rng, d, rank1), _random_cov(rng, d, rank2)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d) * 0.3
    fast, ref = frechet_distance(mu1, s1, mu2, s2, route=route), frechet_distance_scipy(mu1, s1, mu2, s2)
    assert ref > 1.0
    assert abs(fast - ref) / ref < 1e-6


def _features(rng: np.random.Generator, n: int, d: int, scale: float, shift: float) -> np.ndarray:
    """Correlated non-negative float32 features with a decaying spectrum, like pool3 features."""
    mix = rng.normal(size=(d, d)) / np.sqrt(d) * np.exp(-np.arange(d) / (d / 8))[:, None]
    return np.maximum((rng.normal(size=(n, d)) * scale + shift) @ mix, 0).astype(np.float32)


# (n1, n2) at d = 96: both covariances full rank; one full, one rank-deficient; both rank-deficient
# (the FID of fewer samples than dimensions); n1 = d + 1, the largest where 'gram' is accurate.
CASES = {"full": (300, 250), "one-deficient": (40, 300), "both-deficient": (30, 45), "d+1": (97, 400)}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("route", ["auto", "gram", "cholesky", "eigh"])
def test_feature_routes_match_scipy(case, route):
    n1, n2 = CASES[case]
    d = 96
    rng = np.random.default_rng(n1 * n2)
    # the same mixing on both sides (seeded alike) with different scale and shift, so the
    # distance is small next to the traces: the hard case for cancellation
    f1 = _features(np.random.default_rng(7), n1, d, 1.0, 0.0) + rng.normal(size=(n1, d)).astype(np.float32) * 1e-3
    f2 = _features(np.random.default_rng(8), n2, d, 1.1, 0.05)
    ref = frechet_distance_scipy(*feature_stats(f1), *feature_stats(f2))
    if route == "gram" and min(n1, n2) - 1 > d:
        with pytest.raises(GanforgeError, match="route 'gram'.*use route 'cholesky'"):
            fid_from_features(f1, f2, route=route)
        return
    value = fid_from_features(f1, f2, route=route)
    assert ref > 0.01
    assert abs(value - ref) / ref < 1e-6, (value, ref)
    # cached statistics of the second side give the same value
    assert fid_from_features(f1, f2, route=route, stats2=feature_stats(f2)) == pytest.approx(value, rel=1e-12)


def test_route_choice_follows_rank_and_cost():
    d = 2048
    assert choose_route(2000, 2000, d) == "gram"          # both rank-deficient: the only accurate route
    assert choose_route(500, 500, d) == "gram"
    assert choose_route(10000, 10000, d) == "cholesky"    # gram would see ~8000 zero eigenvalues
    assert choose_route(10000, 2000, d, stats1=True) == "cholesky"  # cached large side: one factor is cheap
    assert choose_route(100, 10000, d) == "gram"          # a small side: the cross product is cheap


def test_cholesky_swaps_to_the_positive_definite_side_or_gives_up():
    rng = np.random.default_rng(5)
    full, low = _random_cov(rng, 24, 24), _random_cov(rng, 24, 6)
    assert trace_sqrt_cholesky(low, full) == pytest.approx(trace_sqrt_cholesky(full, low), rel=1e-10)
    assert trace_sqrt_cholesky(low, low) is None  # neither is positive definite: the eigen route takes over
    # tr((S S)^(1/2)) = tr(S); 18 zero eigenvalues leave ~1e-8 of round-off after the square root
    assert trace_sqrt_product(low, low) == pytest.approx(np.trace(low), rel=1e-7)


def test_sample_covariances_with_fewer_samples_than_dims():
    # Rank-deficient, as FID with n < 2048: both routes still agree.
    rng = np.random.default_rng(0)
    f1 = rng.normal(size=(30, 64))
    f2 = rng.normal(size=(40, 64)) * 1.5 + 0.2
    a, b = feature_stats(f1), feature_stats(f2)
    fast, ref = frechet_distance(*a, *b), frechet_distance_scipy(*a, *b)
    assert abs(fast - ref) / ref < 1e-6
    assert fid_from_features(f1, f2) == pytest.approx(ref, rel=1e-6)


def test_closed_form_for_commuting_covariances():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.1, 3, size=16), rng.uniform(0.1, 3, size=16)
    m = rng.normal(size=16)
    expected = float(m @ m + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum())
    assert frechet_distance(np.zeros(16), np.diag(a), m, np.diag(b)) == pytest.approx(expected, rel=1e-10)
    assert trace_sqrt_product(np.diag(a), np.diag(b)) == pytest.approx(np.sqrt(a * b).sum(), rel=1e-10)


def test_identical_statistics_give_zero():
    rng = np.random.default_rng(2)
    s = _random_cov(rng, 48, 20)
    mu = rng.normal(size=48)
    assert frechet_distance(mu, s, mu, s) == pytest.approx(0.0, abs=1e-8)


def test_feature_stats_match_numpy_and_ignore_batching():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(257, 12)).astype(np.float32) * 3 + 5
    mu, sigma = feature_stats(f)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    np.testing.assert_allclose(mu, f.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(f.astype(np.float64), rowvar=False), rtol=1e-10, atol=1e-12)
    # concatenating differently sized batches gives the very same statistics
    parts = np.concatenate([f[:100], f[100:101], f[101:]])
    mu2, sigma2 = feature_stats(parts)
    assert np.array_equal(mu, mu2) and np.array_equal(sigma, sigma2)


def test_fid_from_features_positive_for_shift():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 8))
    assert fid_from_features(x, x + 1.0) == pytest.approx(8.0, rel=1e-9)


def test_errors_name_the_problem():
    with pytest.raises(GanforgeError, match="at least 2"):
        feature_stats(np.zeros((1, 4)))
    with pytest.raises(GanforgeError, match="NaN"):
        feature_stats(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(GanforgeError, match="shapes"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(GanforgeError, match="route 'svd': accepted from statistics: auto, cholesky, eigh"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3), route="svd")
    with pytest.raises(GanforgeError, match="accepted from features: auto, gram, cholesky, eigh"):
        fid_from_features(np.zeros((3, 2)), np.ones((3, 2)), route="svd")
    with pytest.raises(GanforgeError, match="dimensions differ: 2 vs 3"):
        fid_from_features(np.zeros((3, 2)), np.ones((3, 3)))
