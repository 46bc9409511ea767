"""Frechet distance: the eigenvalue route agrees with scipy's sqrtm route; statistics are exact."""
import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.frechet import (feature_stats, fid_from_features, frechet_distance,
                                      frechet_distance_scipy, trace_sqrt_product)


def _random_cov(rng: np.random.Generator, d: int, rank: int) -> np.ndarray:
    a = rng.normal(size=(d, rank)) * rng.uniform(0.1, 2.0, size=rank)
    return a @ a.T / rank


@pytest.mark.parametrize("d,rank1,rank2", [(32, 32, 32), (64, 64, 64), (64, 20, 64), (64, 20, 35), (128, 50, 50)])
def test_fast_route_matches_scipy(d, rank1, rank2):
    rng = np.random.default_rng(d + rank1 + rank2)
    s1, s2 = _random_cov(rng, d, rank1), _random_cov(rng, d, rank2)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d) * 0.3
    fast, ref = frechet_distance(mu1, s1, mu2, s2), frechet_distance_scipy(mu1, s1, mu2, s2)
    assert ref > 1.0
    assert abs(fast - ref) / ref < 1e-4


def test_sample_covariances_with_fewer_samples_than_dims():
    # Rank-deficient, as FID with n < 2048: both routes still agree.
    rng = np.random.default_rng(0)
    f1 = rng.normal(size=(30, 64))
    f2 = rng.normal(size=(40, 64)) * 1.5 + 0.2
    a, b = feature_stats(f1), feature_stats(f2)
    fast, ref = frechet_distance(*a, *b), frechet_distance_scipy(*a, *b)
    assert abs(fast - ref) / ref < 1e-4


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
