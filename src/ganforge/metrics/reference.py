"""Reference (real-data) features and statistics per dataset and extractor, cached on disk.

A reference is one of

- a dataset name with an optional split suffix: ``mnist-train``, ``mnist-test``, ``mnist-all``,
  ``fashion-mnist-test``, ``digits`` (split ``train`` when no suffix is given). MNIST is read with
  :func:`ganforge.data.idx.load_mnist`; other names go through the dataset registry
  (``ganforge.data.base.build_dataset``);
- ``folder:PATH`` or the path of an existing image folder;
- an array or tensor of images (same rules as sources, see :mod:`.sources`).

The first ``n`` images are used (all of them when n is None or larger than the set). Features
are cached as ``.npz`` under ``$GANFORGE_CACHE/stats`` (default ``~/.cache/ganforge/stats``),
keyed by dataset, split, n and the extractor's ``cache_key`` (weights and preprocessing), with
the float64 mean and covariance next to them. Only plain arrays are stored (no pickle).
"""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import GanforgeError
from .features import FeatureExtractor
from .frechet import feature_stats
from .shard import all_true, current_part, gather_batches
from .sources import ImageSource, array_source, folder_source

SPLITS = ("train", "test", "all")


def stats_dir() -> Path:
    from ..data.idx import cache_dir

    return cache_dir() / "stats"


def parse_reference(name: str) -> tuple[str, str]:
    """``'mnist-test'`` -> ``('mnist', 'test')``; ``'digits'`` -> ``('digits', 'train')``."""
    for split in SPLITS:
        if name.endswith("-" + split):
            return name[: -len(split) - 1], split
    return name, "train"


def _dataset_images(base: str, split: str, n: int | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    if base == "mnist":
        from ..data.idx import load_mnist

        x, y = load_mnist(split, limit=n)
        return x, y
    try:
        from ..config import DataConfig
        from ..data.base import DATASETS, build_dataset

        for mod in ("ganforge.data.images", "ganforge.data"):  # modules that register datasets
            try:
                importlib.import_module(mod)
            except ImportError:
                pass
        if base not in DATASETS:
            raise GanforgeError(DATASETS.unknown_message(base) + ". As a reference, also accepted: "
                                "NAME-train/-test/-all, folder:PATH, an image folder or an array")
        ds = build_dataset(DataConfig(name=base, split=split, limit=n))
    except ImportError as e:  # pragma: no cover - depends on the installed data modules
        raise GanforgeError(f"reference {base!r}: the dataset modules are unavailable ({e})") from None
    x = ds.x
    if x.ndim != 4:
        raise GanforgeError(f"reference {base!r}: dataset holds {tuple(x.shape[1:])} samples, not images (C, H, W)")
    return x, ds.y


def reference_source(reference: Any, n: int | None) -> tuple[ImageSource, str]:
    """(image source, label for reports) of a reference spec (see the module docstring)."""
    if isinstance(reference, ImageSource):
        return reference, reference.description
    if isinstance(reference, (np.ndarray, torch.Tensor)):
        src = array_source(reference, n, what="reference array")
        return src, "array"
    if not isinstance(reference, (str, os.PathLike)):
        raise GanforgeError(f"reference of type {type(reference).__name__} not accepted: give a dataset name "
                            "(e.g. mnist-test), folder:PATH, an image folder or an array")
    text = str(reference)
    if text.startswith("folder:") or Path(text).is_dir():
        path = text.removeprefix("folder:")
        src = folder_source(path, n)
        return src, f"folder:{path}"
    base, split = parse_reference(text)
    x, y = _dataset_images(base, split, n)
    src = array_source(x, n, labels=y, what=f"reference {text}")
    src.key = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', base)}-{split}"
    return src, text


def _cache_path(src: ImageSource, extractor: FeatureExtractor) -> Path | None:
    if src.key is None:
        return None
    return stats_dir() / f"{src.key}__n{src.count}__{extractor.cache_key}.npz"


def _load(path: Path, dim: int, count: int) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError):
        return None  # unreadable cache: recompute and overwrite
    f = data.get("features")
    if f is None or f.shape != (count, dim) or "mu" not in data or "sigma" not in data:
        return None
    return data


def _save(path: Path, data: dict[str, np.ndarray]) -> None:
    from ..fileio import atomic_write

    atomic_write(path, lambda f: np.savez(f, **data), "cached reference features (GANFORGE_CACHE)")


def reference_features(reference: Any, extractor: FeatureExtractor, n: int | None = None, batch_size: int = 50,
                       cache: bool = True, progress: bool = False, distributed: bool = False) -> dict[str, Any]:
    """Features and statistics of a reference under an extractor.

    Returns ``{"features": (N, dim) float32 tensor, "mu": (dim,) float64, "sigma": (dim, dim)
    float64, "n": N, "label": str, "cache": path or None}``; read from / written to the cache
    when ``cache`` and the reference has a stable key (datasets, folders, arrays).
    ``distributed``: split the extraction across the processes of the initialised process group
    (see :mod:`.shard`); every process must call it; only process 0 writes the cache."""
    src, label = reference_source(reference, n)
    part = current_part(distributed)
    path = _cache_path(src, extractor) if cache else None
    data = _load(path, extractor.dim, src.count) if path is not None and path.is_file() else None
    # every process must take the same branch (extraction joins collectives)
    if not all_true(data is not None, distributed):
        chunks = [extractor(x).cpu() for x in _progress(src.batches(batch_size, part=part), src.count, batch_size,
                                                         progress, f"{extractor.name} features of {label}", part)]
        if not chunks and part[1] == 1:
            raise GanforgeError(f"{extractor.name} features: no images given")
        feats = gather_batches(chunks, src.count, batch_size, part)
        mu, sigma = feature_stats(feats)
        data = {"features": feats.numpy().astype(np.float32), "mu": mu, "sigma": sigma}
        if path is not None and part[0] == 0:
            _save(path, data)
    return {"features": torch.from_numpy(data["features"]), "mu": data["mu"], "sigma": data["sigma"],
            "n": src.count, "label": label, "cache": str(path) if path is not None else None}


def _progress(batches, count: int, batch_size: int, show: bool, desc: str, part: tuple[int, int] = (0, 1)):
    """Images only (labels dropped), optionally with a tqdm progress bar on stderr."""
    images = (x for x, _ in batches)
    if not show:
        return images
    from tqdm import tqdm

    return tqdm(images, total=len(range(part[0], -(-count // batch_size), part[1])), desc=desc, unit="batch")
