import numpy as np
import pandas as pd
import pytest

from ganforge.errors import GanforgeError
from ganforge.metrics.tabular import (association_matrix, column_distances, correlation_difference,
                                       correlation_ratio, cramers_v, ml_efficacy, total_variation)


def test_total_variation_hand_case():
    real = pd.Series(["a"] * 5 + ["b"] * 5)
    synth = pd.Series(["a"] * 8 + ["c"] * 2)
    # p = (.5, .5, 0), q = (.8, 0, .2): 0.5 * (.3 + .5 + .2) = 0.5
    assert total_variation(real, synth) == pytest.approx(0.5)
    assert total_variation(real, real) == 0.0


def test_column_distances_hand_cases():
    real = pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50})
    same = column_distances(real, real, ["c"]).set_index("column")
    assert same.loc["x", "ks"] == 0.0 and same.loc["x", "wasserstein"] == 0.0 and same.loc["c", "tvd"] == 0.0
    shifted = pd.DataFrame({"x": np.arange(100.0) + 10, "c": ["a"] * 100})
    d = column_distances(real, shifted, ["c"]).set_index("column")
    assert d.loc["x", "wasserstein"] == pytest.approx(10.0)
    assert d.loc["x", "ks"] == pytest.approx(0.10)
    assert d.loc["x", "wasserstein_std"] == pytest.approx(10.0 / np.arange(100.0).std())
    assert d.loc["c", "tvd"] == pytest.approx(0.5)
    assert np.isnan(d.loc["c", "ks"]) and np.isnan(d.loc["x", "tvd"])


def test_association_measures_hand_cases():
    a = pd.Series(["u", "v"] * 50)
    assert cramers_v(a, a) == pytest.approx(1.0)
    assert cramers_v(a, pd.Series(["p", "p", "q", "q"] * 25)) == pytest.approx(0.0)
    # values fully determined by the category -> eta = 1; same mean in every group -> 0
    assert correlation_ratio(a, a.map({"u": 1.0, "v": 3.0})) == pytest.approx(1.0)
    assert correlation_ratio(a, pd.Series(np.repeat([1.0, 2.0], 50))) == pytest.approx(0.0)
    x = np.linspace(0, 1, 100)
    df = pd.DataFrame({"x": x, "y": -2 * x, "c": a})
    m = association_matrix(df, ["c"])
    assert m.loc["x", "y"] == pytest.approx(-1.0) and m.loc["y", "x"] == pytest.approx(-1.0)
    assert np.allclose(np.diag(m), 1.0)


def test_correlation_difference():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    real = pd.DataFrame({"x": x, "y": x + 0.1 * rng.normal(size=500)})
    indep = pd.DataFrame({"x": x, "y": rng.normal(size=500)})
    assert correlation_difference(real, real, [])["score"] == 0.0
    out = correlation_difference(real, indep, [])
    assert 0.9 < out["score"] < 1.05
    assert out["matrix"].shape == (2, 2)


def _classification_frames(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    c = rng.choice(["a", "b"], n)
    y = np.where(x + (c == "a") * 1.0 > 0.5, "yes", "no")
    return pd.DataFrame({"x": x, "c": c, "y": y})


def test_ml_efficacy_real_vs_shuffled():
    train, test = _classification_frames(0, 400), _classification_frames(1, 300)
    shuffled = train.copy()
    shuffled["y"] = np.random.default_rng(2).permutation(shuffled["y"].to_numpy())
    res = ml_efficacy(train, train, test, "y", ["c", "y"], classifiers=("logistic",))
    assert res["average"] == "binary" and res["real"]["logistic"] > 0.9
    assert res["synthetic"]["logistic"] == res["real"]["logistic"]
    bad = ml_efficacy(train, shuffled, test, "y", ["c", "y"], classifiers=("logistic",))
    assert bad["synthetic_mean"] < res["real_mean"] - 0.2
    one_class = train.assign(y="no")
    res1 = ml_efficacy(train, one_class, test, "y", ["c", "y"], classifiers=("logistic",))
    assert 0.0 <= res1["synthetic_mean"] <= 1.0
    with pytest.raises(GanforgeError, match="target column 'z'"):
        ml_efficacy(train, train, test, "z", ["c"])
    with pytest.raises(GanforgeError, match="unknown classifier"):
        ml_efficacy(train, train, test, "y", ["c", "y"], classifiers=("svm",))
