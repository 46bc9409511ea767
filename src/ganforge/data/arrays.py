"""``array:PATH``: a dataset from a NumPy file, so any in-memory array can be trained on.

``PATH`` is a ``.npy`` file holding ``x`` alone, or a ``.npz`` file with ``x`` and an optional
integer ``y`` (class labels 0..K-1) and optional ``class_names``. Samples of shape (C, H, W)
with C in {1, 3} are images and must already be in [-1, 1]; samples of shape (D,) are
vectors (``points`` kind: tabular rows, embeddings), used as given.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset, resize_images


def save_arrays(path: str | Path, x: np.ndarray, y: np.ndarray | None = None,
                class_names: list[str] | None = None) -> Path:
    """Write ``x`` (N, ...) and optional labels ``y`` (N,) to ``path`` (.npz) for ``array:PATH``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"x": np.asarray(x, dtype=np.float32)}
    if y is not None:
        arrays["y"] = np.asarray(y, dtype=np.int64)
    if class_names is not None:
        arrays["class_names"] = np.asarray([str(c) for c in class_names])
    np.savez(p, **arrays)
    return p


def _read(p: Path) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    if not p.is_file():
        raise GanforgeError(f"array dataset {p} does not exist (expected a .npy or .npz file)")
    try:
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise GanforgeError(f"array dataset {p}: cannot read ({e})") from None
    if isinstance(data, np.ndarray):
        return data, None, None
    with data:
        if "x" not in data.files:
            raise GanforgeError(f"array dataset {p}: the .npz file needs an array named 'x' (has {data.files})")
        y = data["y"] if "y" in data.files else None
        names = [str(c) for c in data["class_names"]] if "class_names" in data.files else None
        return data["x"], y, names


@register_dataset("array:", help="array:PATH - a .npy (x) or .npz (x, optional y labels) file: images (N,C,H,W) in [-1,1] or vectors (N,D)")
def build_array(cfg, path: str) -> TensorDataset:
    if cfg.options:
        raise GanforgeError(f"data.options {sorted(cfg.options)} not understood by dataset 'array:'; accepted: none")
    p = Path(path).expanduser()
    x_np, y_np, names = _read(p)
    if not np.issubdtype(x_np.dtype, np.number) or x_np.ndim not in (2, 4):
        raise GanforgeError(f"array dataset {p}: x must be numeric of shape (N, D) or (N, C, H, W), "
                            f"got {x_np.dtype} {x_np.shape}")
    x = torch.from_numpy(np.ascontiguousarray(x_np, dtype=np.float32))
    if not torch.isfinite(x).all():
        raise GanforgeError(f"array dataset {p}: x contains NaN or infinite values")
    kind = "image" if x.ndim == 4 else "points"
    if kind == "image":
        if x.shape[1] not in (1, 3):
            raise GanforgeError(f"array dataset {p}: images need 1 or 3 channels first (N, C, H, W), got {tuple(x.shape)}")
        if x.min() < -1.0 - 1e-4 or x.max() > 1.0 + 1e-4:
            raise GanforgeError(f"array dataset {p}: images must be in [-1, 1], got [{x.min():.3g}, {x.max():.3g}]")
        x = resize_images(x, cfg.resolution)
    fields = {"x": x}
    k = 0
    if y_np is not None:
        if y_np.shape != (len(x),) or not np.issubdtype(y_np.dtype, np.integer) or (len(y_np) and y_np.min() < 0):
            raise GanforgeError(f"array dataset {p}: y must be non-negative integer labels of shape ({len(x)},), "
                                f"got {y_np.dtype} {y_np.shape}")
        fields["y"] = torch.from_numpy(y_np.astype(np.int64))
        k = int(y_np.max()) + 1 if len(y_np) else 0
        if names is not None and len(names) < k:
            raise GanforgeError(f"array dataset {p}: {len(names)} class_names for labels up to {k - 1}")
        k = len(names) if names is not None else k
    if cfg.limit is not None:
        if cfg.limit <= 0:
            raise GanforgeError(f"data.limit must be positive, got {cfg.limit}")
        fields = {n: v[: cfg.limit] for n, v in fields.items()}
    info = DataInfo(name=f"array:{p}", kind=kind, shape=tuple(x.shape[1:]), num_classes=k,
                    class_names=(names or [str(i) for i in range(k)]) if k else None)
    return TensorDataset(fields, info)
