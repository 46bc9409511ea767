"""paired:PATH and unpaired:PATH on small image files written with Pillow."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.config import DataConfig
from ganforge.data import build_dataset
from ganforge.errors import GanforgeError


def img(seed: int, h: int = 8, w: int = 8, rgb: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3) if rgb else (h, w), dtype=np.uint8)


def save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def unit(arr: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(arr).float().div(127.5).sub(1)
    return t.unsqueeze(0) if t.dim() == 2 else t.permute(2, 0, 1)


def build(name: str, split: str = "test", **kw):
    return build_dataset(DataConfig(name=name, split=split, **kw))


def everything(ds, seed: int = 0):
    return ds.get_batch(torch.arange(len(ds)), torch.Generator().manual_seed(seed))


def test_side_by_side_pairs_with_split_folders(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for i in range(n):
            save(tmp_path / split / f"{i}.png", np.concatenate([img(10 * i), img(10 * i + 1)], axis=1))
    ds = build(f"paired:{tmp_path}", split="test")
    batch = everything(ds)
    assert len(ds) == 2 and ds.info.extra["layout"] == "side_by_side"
    assert torch.equal(batch["a"][1], unit(img(10))) and torch.equal(batch["b"][1], unit(img(11)))
    assert len(build(f"paired:{tmp_path}", split="train")) == 3
    assert len(build(f"paired:{tmp_path}", split="all")) == 5
    swapped = everything(build(f"paired:{tmp_path}", options={"direction": "BtoA"}))
    assert torch.equal(swapped["a"], batch["b"]) and torch.equal(swapped["b"], batch["a"])


def test_parallel_folders_matched_by_name(tmp_path):
    for name, seed in (("x", 1), ("y", 2), ("z", 3)):
        save(tmp_path / "A" / f"{name}.png", img(seed, rgb=False))
        save(tmp_path / "B" / f"{name}.bmp", img(seed + 100))  # extension may differ
    ds = build(f"paired:{tmp_path}")
    batch = everything(ds)
    assert ds.info.extra["layout"] == "parallel" and ds.info.extra["names"] == ["x", "y", "z"]
    assert batch["a"].shape == (3, 1, 8, 8) and batch["b"].shape == (3, 3, 8, 8)  # gray A, colour B
    assert torch.equal(batch["a"][2], unit(img(3, rgb=False))) and torch.equal(batch["b"][2], unit(img(103)))
    assert everything(build(f"paired:{tmp_path}", channels=3))["a"].shape[1] == 3
    assert len(build(f"paired:{tmp_path}", limit=2)) == 2


def test_parallel_folders_mismatch_names_the_files(tmp_path):
    for name in ("x", "y", "only_a"):
        save(tmp_path / "A" / f"{name}.png", img(0))
    for name in ("x", "y", "only_b"):
        save(tmp_path / "B" / f"{name}.png", img(0))
    with pytest.raises(GanforgeError, match=r"only in A: 1 \(only_a.png\); only in B: 1 \(only_b.png\)"):
        build(f"paired:{tmp_path}")


def test_corrupt_file_is_reported_by_path(tmp_path):
    save(tmp_path / "A" / "ok.png", img(0))
    save(tmp_path / "B" / "ok.png", img(1))
    (tmp_path / "A" / "bad.png").write_bytes(b"not an image at all")
    save(tmp_path / "B" / "bad.png", img(2))
    with pytest.raises(GanforgeError, match=r"A/bad.png: cannot read image"):
        build(f"paired:{tmp_path}")


def test_sizes_differ_error_and_resolution_resizes(tmp_path):
    save(tmp_path / "p1.png", np.concatenate([img(0, 8, 8), img(1, 8, 8)], axis=1))
    save(tmp_path / "p2.png", np.concatenate([img(2, 10, 10), img(3, 10, 10)], axis=1))
    with pytest.raises(GanforgeError, match=r"p1.png is 8x8 but .*p2.png is 10x10.*data.resolution"):
        build(f"paired:{tmp_path}")
    batch = everything(build(f"paired:{tmp_path}", resolution=16))
    assert batch["a"].shape == (2, 3, 16, 16)


def test_random_crop_and_flip_are_the_same_for_both_images(tmp_path):
    for i in range(4):  # A and B hold the same picture, so a correct joint crop/flip keeps a == b
        pic = img(i, 12, 12)
        save(tmp_path / "A" / f"{i}.png", pic)
        save(tmp_path / "B" / f"{i}.png", pic)
    ds = build(f"paired:{tmp_path}", split="train", options={"crop": 8, "flip": True})
    seen = set()
    for seed in range(12):
        batch = everything(ds, seed)
        assert batch["a"].shape == (4, 3, 8, 8)
        assert torch.equal(batch["a"], batch["b"])
        seen.add(batch["a"][0].sum().item())
        again = everything(ds, seed)
        assert torch.equal(again["a"], batch["a"])  # reproducible from the generator
    assert len(seen) > 3  # crops/flips vary with the generator
    # evaluation split: the centre crop, no flip
    centre = everything(build(f"paired:{tmp_path}", options={"crop": 8}))
    assert torch.equal(centre["a"][0], unit(img(0, 12, 12))[:, 2:10, 2:10])
    # load_size then crop
    jitter = everything(build(f"paired:{tmp_path}", split="train", resolution=8, options={"load_size": 10}))
    assert jitter["a"].shape == (4, 3, 8, 8) and torch.equal(jitter["a"], jitter["b"])
    with pytest.raises(GanforgeError, match="larger than the loaded images"):
        build(f"paired:{tmp_path}", options={"crop": 20})


def make_unpaired(root: Path, counts: dict[str, int], rgb_b: bool = True) -> None:
    for folder, n in counts.items():
        for i in range(n):
            save(root / folder / f"{folder}_{i}.png", img(sum(map(ord, folder)) + i, rgb=folder[-1] == "A" or rgb_b))


def test_unpaired_folders(tmp_path):
    make_unpaired(tmp_path, {"trainA": 5, "trainB": 3, "testA": 2, "testB": 4}, rgb_b=False)
    ds = build(f"unpaired:{tmp_path}", split="train")
    assert len(ds) == 5 and ds.len_b() == 3 and ds.info.kind == "unpaired"
    b1 = ds.get_batch(torch.arange(5), torch.Generator().manual_seed(3))
    b2 = ds.get_batch(torch.arange(5), torch.Generator().manual_seed(3))
    assert b1["a"].shape == (5, 3, 8, 8) and b1["b"].shape == (5, 1, 8, 8)
    assert torch.equal(b1["b"], b2["b"]) and torch.equal(b1["index_b"], b2["index_b"])
    test = build(f"unpaired:{tmp_path}", split="test")
    assert len(test) == 2 and test.len_b() == 4
    assert len(build(f"unpaired:{tmp_path}", split="all")) == 7
    cropped = build(f"unpaired:{tmp_path}", split="train", options={"crop": 6})
    assert cropped.get_batch(torch.arange(2), torch.Generator().manual_seed(0))["b"].shape == (2, 1, 6, 6)


def test_unpaired_missing_folder(tmp_path):
    make_unpaired(tmp_path, {"trainA": 2, "trainB": 2, "testA": 1})
    with pytest.raises(GanforgeError, match=r"missing folder testB/ .*found testA, trainA, trainB"):
        build(f"unpaired:{tmp_path}", split="test")


def test_bad_options_and_paths(tmp_path):
    with pytest.raises(GanforgeError, match="does not exist"):
        build(f"paired:{tmp_path / 'nope'}")
    save(tmp_path / "x.png", img(0, 8, 16))
    with pytest.raises(GanforgeError, match="direction"):
        build(f"paired:{tmp_path}", options={"direction": "sideways"})
    with pytest.raises(GanforgeError, match="accepted: crop, direction, flip, load_size"):
        build(f"paired:{tmp_path}", options={"jitter": 1})
