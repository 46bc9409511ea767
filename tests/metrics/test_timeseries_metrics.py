import numpy as np
import pytest

from ganforge.metrics.series import (acf, compare_stylized_facts, discriminative_score, excess_kurtosis,
                                    predictive_score, stylized_facts)


def test_iid_normal_has_no_tails_and_no_autocorrelation():
    x = np.random.default_rng(0).normal(size=(200, 100))
    assert abs(excess_kurtosis(x)) < 0.1
    assert np.abs(acf(x, 20)).max() < 0.03
    f = stylized_facts(x)
    assert f["mean_acf_abs"] < 0.02 and abs(f["skew"]) < 0.05 and f["std"] == pytest.approx(1.0, abs=0.02)


def test_heavy_tails_and_known_acf():
    rng = np.random.default_rng(1)
    lap = rng.laplace(size=200_000)
    assert excess_kurtosis(lap) == pytest.approx(3.0, abs=0.3)  # Laplace: excess kurtosis 3
    # AR(1) with phi = 0.6: acf(k) = 0.6 ** k
    e = rng.normal(size=100_000)
    ar = np.zeros_like(e)
    for i in range(1, len(e)):
        ar[i] = 0.6 * ar[i - 1] + e[i]
    np.testing.assert_allclose(acf(ar, 3), [0.6, 0.36, 0.216], atol=0.02)


def test_volatility_clustering_is_detected():
    # GARCH(1,1): returns uncorrelated, absolute returns autocorrelated
    rng = np.random.default_rng(2)
    n, w, a, b = 50_000, 0.05, 0.1, 0.85
    r, s2 = np.zeros(n), w / (1 - a - b)
    for i in range(n):
        r[i] = np.sqrt(s2) * rng.normal()
        s2 = w + a * r[i] ** 2 + b * s2
    f = stylized_facts(r)
    assert f["mean_abs_acf_returns"] < 0.03
    assert f["mean_acf_abs"] > 0.08
    assert f["excess_kurtosis"] > 0.5
    table = compare_stylized_facts(r, rng.normal(size=n))
    row = table.set_index("fact").loc["mean_acf_abs"]
    assert row["real"] > 0.08 and abs(row["synthetic"]) < 0.02


def test_discriminative_score():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(100, 8, 1)).astype(np.float32)
    same = rng.normal(size=(100, 8, 1)).astype(np.float32)
    shifted = same + 3.0
    assert discriminative_score(real, shifted, hidden=8, steps=60, batch=64, lr=1e-2)["score"] > 0.4
    assert discriminative_score(real, same, hidden=8, steps=60, batch=64, lr=1e-2)["score"] < 0.15


def test_predictive_score():
    rng = np.random.default_rng(4)
    # a smooth, predictable signal vs noise
    t = np.arange(10)[None, :] + rng.uniform(0, 6.3, size=(120, 1))
    real = np.sin(0.5 * t)[:, :, None].astype(np.float32)
    noise = rng.normal(size=(120, 10, 1)).astype(np.float32)
    good = predictive_score(real, real, hidden=8, steps=80, batch=64)
    bad = predictive_score(real, noise, hidden=8, steps=80, batch=64)
    assert good["mae"] < bad["mae"]
    assert good["mae_real_trained"] < 0.5
