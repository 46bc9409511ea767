"""KID: unbiased polynomial MMD^2 over subsets."""
import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.kid import kid, polynomial_mmd2


def _mmd2_loops(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return sxx + syy - 2 * sxy


def test_matches_the_definition():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(size=(9, 5)) + 0.5
    got = polynomial_mmd2(torch.from_numpy(x), torch.from_numpy(y))
    assert got == pytest.approx(_mmd2_loops(x, y), rel=1e-10)


def test_near_zero_for_same_distribution_and_positive_for_shift():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    mean, std = kid(a, b, num_subsets=20, subset_size=200)
    assert abs(mean) < 3 * std / np.sqrt(20) + 1e-3
    shifted, _ = kid(a, b + 1.0, num_subsets=20, subset_size=200)
    assert shifted > 0.5 and shifted > 20 * abs(mean)


def test_deterministic_for_a_seed():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) * 2
    assert kid(a, b, num_subsets=5, subset_size=100, seed=3) == kid(a, b, num_subsets=5, subset_size=100, seed=3)
    assert kid(a, b, num_subsets=5, subset_size=100, seed=3) != kid(a, b, num_subsets=5, subset_size=100, seed=4)


def test_subset_larger_than_samples_is_a_clear_error():
    a = np.zeros((50, 4))
    with pytest.raises(GanforgeError, match="subset_size 1000 is larger than the number of samples"):
        kid(a, a, subset_size=1000)
    with pytest.raises(GanforgeError, match="equal D"):
        kid(np.zeros((10, 3)), np.zeros((10, 4)), subset_size=5)
