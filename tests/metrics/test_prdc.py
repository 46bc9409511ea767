"""Precision/recall and density/coverage against a direct numpy implementation."""
import numpy as np
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.prdc import density_coverage, kth_neighbour_radii, precision_recall
from ganforge.metrics.frechet import as_float64


def _reference(real: np.ndarray, fake: np.ndarray, k: int):
    def radii(x):
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    rr, fr = radii(real), radii(fake)
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=-1)  # (R, F)
    precision = (d_rf <= rr[:, None]).any(0).mean()
    recall = (d_rf <= fr[None, :]).any(1).mean()
    density = (d_rf <= rr[:, None]).sum() / (k * len(fake))
    coverage = (d_rf <= rr[:, None]).any(1).mean()
    return precision, recall, density, coverage


def test_matches_brute_force():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(120, 6)), rng.normal(size=(90, 6)) * 1.4 + 0.3
    p, r, d, c = _reference(real, fake, 3)
    assert precision_recall(real, fake, k=3) == pytest.approx((p, r), abs=1e-12)
    p5, r5, d5, c5 = _reference(real, fake, 5)
    assert density_coverage(real, fake, k=5) == pytest.approx((d5, c5), abs=1e-12)


def test_extremes():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 4))
    assert precision_recall(real, real) == (1.0, 1.0)
    assert density_coverage(real, real)[1] == 1.0
    far = real + 100.0
    assert precision_recall(real, far) == (0.0, 0.0)
    assert density_coverage(real, far) == (0.0, 0.0)
    # a collapsed generator (all samples near one real point) is precise but has no recall
    collapsed = real[:1] + 1e-3 * rng.normal(size=(200, 4))
    p, r = precision_recall(real, collapsed)
    assert p == 1.0 and r < 0.05


def test_radii_exclude_the_point_itself_and_barely_depend_on_block_size():
    # The block size is internal and fixed, so results are reproducible; other block sizes
    # change only the last bits (BLAS rounding), not the value.
    x = as_float64(np.random.default_rng(2).normal(size=(50, 3)))
    a = kth_neighbour_radii(x, 3, block=7)
    b = kth_neighbour_radii(x, 3, block=1024)
    assert (a > 0).all() and np.allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=0)


def test_too_few_samples():
    with pytest.raises(GanforgeError, match="more than k = 3"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
