import importlib.util

import numpy as np
import pandas as pd
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data.base import build_dataset
from ganforge.errors import GanforgeError
from ganforge.data.series import SeriesScaler, make_windows, read_series, series_dataset


@pytest.fixture
def csv(tmp_path):
    n = 50
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    df = pd.DataFrame({"Date": dates.strftime("%m/%d/%Y"), "price": 100 * np.exp(np.cumsum(np.full(n, 0.01))),
                       "volume": np.arange(n, dtype=float) + 1, "name": ["s"] * n})
    path = tmp_path / "s.csv"
    df.iloc[::-1].to_csv(path, index=False)  # reversed on disk: the loader must sort by date
    return path


def test_make_windows():
    v = np.arange(10.0)[:, None]
    w = make_windows(v, window=4, stride=3)
    assert w.shape == (3, 4, 1)
    np.testing.assert_array_equal(w[:, 0, 0], [0, 3, 6])
    np.testing.assert_array_equal(w[1, :, 0], [3, 4, 5, 6])
    with pytest.raises(GanforgeError, match="shorter than window"):
        make_windows(v, window=11)


def test_read_series_sorts_and_picks_numeric(csv):
    values, names, dates = read_series(str(csv))
    assert names == ["price", "volume"]
    assert values[0, 1] == 1.0 and values[-1, 1] == 50.0
    assert dates.is_monotonic_increasing
    with pytest.raises(GanforgeError, match=r"\['nope'\] not found"):
        read_series(str(csv), columns="nope")
    with pytest.raises(GanforgeError, match=r"\['name'\] are not numeric"):
        read_series(str(csv), columns=["name"])


def test_standardize_windows_and_inverse(csv):
    ds = series_dataset(str(csv), window=8, stride=2, transform="standardize")
    assert ds.x.shape == (22, 8, 2) and ds.x.dtype == torch.float32
    assert ds.info.kind == "series" and ds.info.shape == (8, 2)
    flat = ds.x.reshape(-1, 2)
    scaler = SeriesScaler.from_dict(ds.info.extra["scaler"])
    back = scaler.inverse(ds.x)
    values, _, _ = read_series(str(csv))
    np.testing.assert_allclose(back[:, 0, :], values[0:44:2], rtol=1e-5)
    assert abs(float(flat[:, 1].mean())) < 0.2


def test_returns_inverse_and_levels(csv):
    ds = series_dataset(str(csv), window=10, columns="price", transform="returns")
    scaler = SeriesScaler.from_dict(ds.info.extra["scaler"])
    r = scaler.inverse(ds.x)
    np.testing.assert_allclose(r, 0.01, atol=1e-6)  # constant 1 % log return
    levels = scaler.to_levels(r[0])
    # starts at the first price of the file, 100 * exp(0.01)
    np.testing.assert_allclose(levels[:, 0], 100 * np.exp(0.01 * np.arange(1, 12)), rtol=1e-6)
    np.testing.assert_allclose(scaler.to_levels(r[0], start=50.0)[-1, 0], 50 * np.exp(0.1), rtol=1e-6)
    neg = csv.parent / "neg.csv"
    pd.DataFrame({"v": [1.0, -1.0, 2.0]}).to_csv(neg, index=False)
    with pytest.raises(GanforgeError, match="positive values"):
        series_dataset(str(neg), window=2, transform="returns")


def test_context_field_and_registry(csv):
    cfg = DataConfig(name=f"series:{csv}", options={"window": 6, "context": 4, "columns": ["price", "volume"]})
    ds = build_dataset(cfg)
    assert ds.x.shape[1:] == (6, 2) and ds.fields["context"].shape[1:] == (4, 2)
    # the context ends where the window starts
    full = series_dataset(str(csv), window=10, stride=1)
    torch.testing.assert_close(torch.cat([ds.fields["context"][0], ds.x[0]]), full.x[0])
    with pytest.raises(GanforgeError, match="not series options"):
        build_dataset(DataConfig(name=f"series:{csv}", options={"windw": 3}))
    with pytest.raises(GanforgeError, match="transform 'log'"):
        series_dataset(str(csv), transform="log")


def test_nan_policy(tmp_path):
    path = tmp_path / "n.csv"
    pd.DataFrame({"v": [1.0, np.nan, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    with pytest.raises(GanforgeError, match="missing values.*'v': 1"):
        series_dataset(str(path), window=2)
    assert len(series_dataset(str(path), window=2, nan="drop")) == 3


@pytest.mark.skipif(importlib.util.find_spec("arch") is None, reason="arch not installed")
def test_arch_sp500():
    ds = build_dataset(DataConfig(name="series:arch:sp500", limit=100,
                                  options={"columns": "Adj Close", "transform": "returns", "window": 32}))
    assert ds.x.shape == (100, 32, 1)
    assert ds.info.extra["dates"][0] == "1999-01-04"
    with pytest.raises(GanforgeError, match="available: .*sp500"):
        build_dataset(DataConfig(name="series:arch:nope"))
