"""The `array:PATH` dataset that lets any in-memory array be trained on."""
from __future__ import annotations

import numpy as np
import pytest

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.data.arrays import save_arrays
from ganforge.errors import GanforgeError


def test_images_and_vectors(tmp_path) -> None:
    x = np.linspace(-1, 1, 6 * 64, dtype=np.float32).reshape(6, 1, 8, 8)
    p = save_arrays(tmp_path / "img.npz", x, np.array([0, 1, 2, 0, 1, 2]), ["a", "b", "c"])
    ds = build_dataset(DataConfig(name=f"array:{p}", limit=4))
    assert ds.info.kind == "image" and ds.info.shape == (1, 8, 8) and len(ds) == 4
    assert ds.info.num_classes == 3 and ds.info.class_names == ["a", "b", "c"]
    assert np.array_equal(ds.x.numpy(), x[:4])
    np.save(tmp_path / "v.npy", np.arange(12, dtype=np.float64).reshape(4, 3) * 100)  # vectors: any range
    dv = build_dataset(DataConfig(name=f"array:{tmp_path / 'v.npy'}"))
    assert dv.info.kind == "points" and dv.info.shape == (3,) and dv.y is None and float(dv.x.max()) == 1100.0


def test_bad_arrays_are_named(tmp_path) -> None:
    np.save(tmp_path / "big.npy", np.full((2, 1, 4, 4), 3.0))
    with pytest.raises(GanforgeError, match=r"\[-1, 1\]"):
        build_dataset(DataConfig(name=f"array:{tmp_path / 'big.npy'}"))
    np.save(tmp_path / "3d.npy", np.zeros((2, 4, 4)))
    with pytest.raises(GanforgeError, match="shape"):
        build_dataset(DataConfig(name=f"array:{tmp_path / '3d.npy'}"))
    with pytest.raises(GanforgeError, match="does not exist"):
        build_dataset(DataConfig(name=f"array:{tmp_path / 'nope.npz'}"))
