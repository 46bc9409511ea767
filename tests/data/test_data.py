"""Datasets: real MNIST, IDX parsing, image folders (good, corrupt, empty), toys, the sampler."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.data.idx import read_idx
from ganforge.errors import GanforgeError
from ganforge.training.sampler import BatchSampler


def test_mnist_is_the_real_dataset() -> None:
    ds = build_dataset(DataConfig(name="mnist", limit=100))
    assert ds.x.shape == (100, 1, 28, 28) and ds.x.min() == -1 and ds.x.max() == 1
    assert ds.y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the canonical first labels
    test = build_dataset(DataConfig(name="mnist", split="test", limit=5))
    assert test.y.tolist() == [7, 2, 1, 0, 4]
    big = build_dataset(DataConfig(name="mnist", limit=10, resolution=32, channels=3))
    assert big.x.shape == (10, 3, 32, 32)


def _write_idx(path, arr: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_idx_root_folder_and_errors(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("t10k", 4)):
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, (n,)))
    ds = build_dataset(DataConfig(name="fashion-mnist", root=str(tmp_path)))
    assert len(ds) == 12 and ds.info.class_names[0] == "T-shirt/top"
    assert len(build_dataset(DataConfig(name="fashion-mnist", root=str(tmp_path), split="all"))) == 16
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x01\x02\x03\x04"))
    with pytest.raises(GanforgeError, match="bad.gz: not an IDX file"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(GanforgeError, match="no fashion-mnist IDX files"):
        build_dataset(DataConfig(name="fashion-mnist", root=str(tmp_path / "nowhere")))
    with pytest.raises(GanforgeError, match="accepted values are train, test, all"):
        build_dataset(DataConfig(name="fashion-mnist", root=str(tmp_path), split="val"))


def test_image_folder_labels_resize_and_errors(tmp_path) -> None:
    for cls, colour in (("cats", (255, 0, 0)), ("dogs", (0, 0, 255))):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40, 30), colour).save(tmp_path / "imgs" / cls / f"{i}.png")
    ds = build_dataset(DataConfig(name=f"folder:{tmp_path / 'imgs'}", resolution=16))
    assert ds.x.shape == (6, 3, 16, 16) and ds.info.class_names == ["cats", "dogs"]
    assert ds.y.tolist() == [0, 0, 0, 1, 1, 1]
    assert ds.x[0, 0].mean() > 0.9 and ds.x[0, 2].mean() < -0.9  # red stays red
    gray = build_dataset(DataConfig(name=f"folder:{tmp_path / 'imgs'}", resolution=8, channels=1))
    assert gray.x.shape == (6, 1, 8, 8)
    (tmp_path / "imgs" / "cats" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(GanforgeError, match="broken.png: cannot read image"):
        build_dataset(DataConfig(name=f"folder:{tmp_path / 'imgs'}", resolution=16))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanforgeError, match="holds no images"):
        build_dataset(DataConfig(name=f"folder:{tmp_path / 'empty'}"))
    with pytest.raises(GanforgeError, match="does not exist"):
        build_dataset(DataConfig(name=f"folder:{tmp_path / 'nope'}"))


def test_toy_distributions() -> None:
    ring = build_dataset(DataConfig(name="ring8", limit=4000))
    radii = ring.x.norm(dim=1)
    assert ring.x.shape == (4000, 2) and abs(radii.mean().item() - 1.0) < 0.01
    assert ring.y.bincount().min() > 400  # all 8 modes present
    grid = build_dataset(DataConfig(name="grid25", limit=5000))
    assert grid.info.num_classes == 25 and grid.x.abs().max() < 4.5
    g1 = build_dataset(DataConfig(name="gauss1d", limit=5000))
    assert g1.x.shape == (5000, 1) and abs(g1.x.mean().item() - 4) < 0.05 and g1.y is None
    assert torch.equal(ring.x, build_dataset(DataConfig(name="ring8", limit=4000)).x)  # seeded
    with pytest.raises(GanforgeError, match="accepted: seed, size"):
        build_dataset(DataConfig(name="ring8", options={"radius": 3}))


def test_digits_and_unknown_names() -> None:
    d = build_dataset(DataConfig(name="digits"))
    assert d.x.shape == (1500, 1, 8, 8) and d.info.num_classes == 10
    with pytest.raises(GanforgeError, match="Did you mean 'mnist'"):
        build_dataset(DataConfig(name="mnsit"))


def test_sampler_shards_are_disjoint_and_resumable() -> None:
    a, b = BatchSampler(100, 10, seed=3, rank=0, world_size=2), BatchSampler(100, 10, seed=3, rank=1, world_size=2)
    for _ in range(7):  # crosses an epoch boundary (5 global batches per epoch)
        ia, ib = a.next(), b.next()
        assert len(set(ia.tolist()) & set(ib.tolist())) == 0
    s = BatchSampler(100, 10, seed=3)
    for _ in range(13):
        s.next()
    state = s.state_dict()
    expected = [s.next() for _ in range(5)]
    t = BatchSampler(100, 10, seed=3)
    t.load_state_dict(state)
    assert all(torch.equal(x, t.next()) for x in expected)
    with pytest.raises(GanforgeError, match="larger than the dataset"):
        BatchSampler(10, 8, seed=0, world_size=2)
