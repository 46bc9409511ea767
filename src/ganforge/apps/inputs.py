"""Reading user inputs for the application commands: an image folder, a .npy array or a CSV."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..errors import GanforgeError


def images_to_unit(arr: np.ndarray, where: str) -> np.ndarray:
    """uint8 [0, 255] or float [-1, 1] images (N, C, H, W) or (N, H, W) -> float32 (N, C, H, W) in [-1, 1]."""
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise GanforgeError(f"{where}: expected images (N, C, H, W) or (N, H, W), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 127.5 - 1.0
    arr = arr.astype(np.float32)
    if arr.size and (arr.min() < -1.0 - 1e-4 or arr.max() > 1.0 + 1e-4):
        raise GanforgeError(f"{where}: float images must be in [-1, 1] (uint8 images in [0, 255] are "
                            f"also accepted), got [{arr.min():.3g}, {arr.max():.3g}]")
    return arr


def read_image_folder(path: Path, shape: Sequence[int]) -> tuple[np.ndarray, list[Path]]:
    """Every image under ``path`` (sorted), centre-cropped and resized to ``shape`` (C, H, W)."""
    from ..data.images import center_crop_resize, list_images, load_image

    files = list_images(path)
    if not files:
        raise GanforgeError(f"{path}: no images found")
    c, h, _ = shape
    arrays = [center_crop_resize(load_image(f, "L" if c == 1 else "RGB"), h) for f in files]
    x = np.stack(arrays)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return images_to_unit(np.ascontiguousarray(x), str(path)), files


def read_table_numeric(path: Path) -> tuple[np.ndarray, list[str]]:
    """The numeric columns of a CSV as float32 (N, D) and their names; other columns are an error."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise GanforgeError(f"{path}: cannot read CSV ({e})") from None
    bad = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise GanforgeError(f"{path}: columns {bad} are not numeric; one-hot encode them first "
                            f"(e.g. pandas.get_dummies) or drop them")
    if df.isna().any().any():
        raise GanforgeError(f"{path}: columns {[c for c in df.columns if df[c].isna().any()]} hold missing values")
    return df.to_numpy(np.float32), [str(c) for c in df.columns]


def read_inputs(path: str | Path, kind: str, shape: Sequence[int]) -> np.ndarray:
    """Inputs for a model expecting samples of ``shape`` (``kind`` image or vectors), from an
    image folder, a .npy/.npz (array ``x``) file or a CSV. Returns float32 (N, *shape)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise GanforgeError(f"input {p} does not exist (expected an image folder, a .npy/.npz file or a .csv)")
    if p.is_dir():
        if kind != "image":
            raise GanforgeError(f"input {p} is a folder of images, but this model takes vectors: give a .npy or .csv")
        x, _ = read_image_folder(p, shape)
    elif p.suffix in (".npy", ".npz"):
        data = np.load(p, allow_pickle=False)
        if not isinstance(data, np.ndarray):
            if "x" not in data.files:
                raise GanforgeError(f"{p}: the .npz file needs an array named 'x' (has {data.files})")
            data = data["x"]
        x = images_to_unit(data, str(p)) if kind == "image" else data.astype(np.float32)
    elif p.suffix == ".csv":
        if kind == "image":
            raise GanforgeError(f"input {p} is a table, but this model takes images: give an image folder or .npy")
        x, _ = read_table_numeric(p)
    else:
        raise GanforgeError(f"input {p}: accepted inputs are an image folder, a .npy/.npz file or a .csv")
    if tuple(x.shape[1:]) != tuple(shape):
        if kind == "image" and x.ndim == 4 and x.shape[1] == shape[0]:
            from ..data.base import resize_images

            x = resize_images(torch.from_numpy(x), shape[-1]).numpy()
        else:
            raise GanforgeError(f"input {p}: samples have shape {tuple(x.shape[1:])}, the model expects {tuple(shape)}")
    return x


def load_data_arg(spec: str, split: str = "train", resolution: int | None = None, limit: int | None = None,
                  ) -> tuple[np.ndarray, np.ndarray | None, list[str] | None, str]:
    """Data for the application commands from ``spec``: a .npy/.npz/.csv file, an image folder
    (class labels from subfolders), or a registered dataset name (``mnist``, ``digits``,
    ``folder:PATH``...). Returns (x float32 (N, ...), labels (N,) or None, class names or None,
    kind ``image`` or ``vectors``)."""
    from ..config import DataConfig
    from ..data import DATASETS, build_dataset

    p = Path(spec).expanduser()
    if p.is_file():
        if p.suffix == ".csv":
            x, _ = read_table_numeric(p)
            y = names = None
        elif p.suffix in (".npy", ".npz"):
            data = np.load(p, allow_pickle=False)
            if isinstance(data, np.ndarray):
                x, y, names = data, None, None
            else:
                if "x" not in data.files:
                    raise GanforgeError(f"{p}: the .npz file needs an array named 'x' (has {data.files})")
                x = data["x"]
                y = data["y"] if "y" in data.files else None
                names = [str(c) for c in data["class_names"]] if "class_names" in data.files else None
        else:
            raise GanforgeError(f"--data {p}: accepted files are .npy, .npz and .csv (or give a folder or dataset name)")
        if x.ndim in (3, 4):
            x = images_to_unit(x, str(p))
        x = x[:limit] if limit else x
        y = y[:limit] if (limit and y is not None) else y
        return x.astype(np.float32), y, names, "image" if x.ndim == 4 else "vectors"
    name = f"folder:{p}" if p.is_dir() else spec
    prefix = name.partition(":")[0] + ":" if ":" in name else name
    if prefix not in DATASETS:
        raise GanforgeError(f"--data {spec!r} is neither an existing file/folder nor a dataset; datasets: "
                            f"{', '.join(DATASETS)}")
    ds = build_dataset(DataConfig(name=name, split=split, resolution=resolution, limit=limit))
    y = ds.y.numpy() if ds.y is not None else None
    kind = "image" if ds.info.kind == "image" else "vectors"
    return ds.x.numpy(), y, ds.info.class_names, kind


def select_classes(x: np.ndarray, y: np.ndarray | None, names: list[str] | None, wanted: str | None,
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Keep the samples whose class is in ``wanted`` (comma-separated class names or indices)."""
    if not wanted:
        return x, y
    if y is None:
        raise GanforgeError("--normal-classes given, but this data has no class labels")
    names = names or [str(i) for i in range(int(y.max()) + 1)]
    keep = []
    for item in (s.strip() for s in wanted.split(",") if s.strip()):
        if item in names:
            keep.append(names.index(item))
        elif item.isdigit() and int(item) < len(names):
            keep.append(int(item))
        else:
            raise GanforgeError(f"--normal-classes: unknown class {item!r}; classes: {', '.join(names)}")
    mask = np.isin(y, keep)
    if not mask.any():
        raise GanforgeError(f"--normal-classes {wanted}: no samples of these classes")
    return x[mask], y[mask]
