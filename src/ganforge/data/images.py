"""Image datasets: ``mnist``, ``fashion-mnist``, ``digits`` and ``folder:PATH``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import GanforgeError
from .base import DataInfo, TensorDataset, register_dataset, resize_images, to_unit_range
from .idx import FASHION_CLASSES, load_idx_split

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _check_options(cfg, name: str, accepted: tuple[str, ...] = ()) -> None:
    extra = sorted(set(cfg.options) - set(accepted))
    if extra:
        raise GanforgeError(f"data.options {extra} not understood by dataset {name!r}; "
                            f"accepted: {', '.join(accepted) or 'none'}")


def _finish(x: torch.Tensor, y: torch.Tensor | None, cfg, name: str, num_classes: int,
            class_names: list[str] | None) -> TensorDataset:
    """Apply channels/resolution/limit to float images (N, C, H, W) in [-1, 1]."""
    if cfg.limit is not None:
        if cfg.limit <= 0:
            raise GanforgeError(f"data.limit must be positive, got {cfg.limit}")
        x, y = x[: cfg.limit], (y[: cfg.limit] if y is not None else None)
    if cfg.channels not in (None, 1, 3):
        raise GanforgeError(f"data.channels must be 1 or 3, got {cfg.channels}")
    if cfg.channels == 3 and x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1).contiguous()
    elif cfg.channels == 1 and x.shape[1] == 3:
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = resize_images(x, cfg.resolution)
    fields = {"x": x.contiguous()}
    if y is not None:
        fields["y"] = y
    info = DataInfo(name=name, kind="image", shape=tuple(x.shape[1:]), num_classes=num_classes if y is not None else 0,
                    class_names=class_names)
    return TensorDataset(fields, info)


def _idx_dataset(dataset: str, class_names: list[str]):
    def build(cfg) -> TensorDataset:
        _check_options(cfg, dataset)
        x, y = load_idx_split(dataset, cfg.split, cfg.root)
        if cfg.limit:
            x, y = x[: cfg.limit], y[: cfg.limit]
        return _finish(to_unit_range(x.unsqueeze(1)), y, cfg, dataset, 10, class_names)

    return build


register_dataset("mnist", help="MNIST handwritten digits, 60k train + 10k test, 28x28 gray, 10 classes")(
    _idx_dataset("mnist", [str(i) for i in range(10)]))
register_dataset("fashion-mnist", help="Fashion-MNIST, 60k train + 10k test, 28x28 gray, 10 classes")(
    _idx_dataset("fashion-mnist", FASHION_CLASSES))


@register_dataset("digits", help="scikit-learn's 1,797 8x8 digits (bundled; no download), 10 classes")
def build_digits(cfg) -> TensorDataset:
    _check_options(cfg, "digits")
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32)).unsqueeze(1) / 8.0 - 1.0  # 0..16 -> [-1, 1]
    y = torch.from_numpy(d.target.astype(np.int64))
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    n_test = 297
    idx = {"train": perm[n_test:], "test": perm[:n_test], "all": perm}.get(cfg.split)
    if idx is None:
        raise GanforgeError(f"data.split {cfg.split!r}: accepted values are train, test, all")
    return _finish(x[idx], y[idx], cfg, "digits", 10, [str(i) for i in range(10)])


def load_image(path: Path, mode: str) -> np.ndarray:
    """Read one image as uint8 HWC (mode 'L' or 'RGB'); a corrupt file is reported by path."""
    from .image_files import opened_image

    with opened_image(path) as im:  # names the file, and refuses decompression bombs
        im.load()
        return np.asarray(im.convert(mode))


def center_crop_resize(img: np.ndarray, size: int) -> np.ndarray:
    """Resize the shorter side to ``size`` (Lanczos) and crop the centre square."""
    from PIL import Image

    im = Image.fromarray(img)
    w, h = im.size
    s = size / min(w, h)
    im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.Resampling.LANCZOS)
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(im.crop((left, top, left + size, top + size)))


def list_images(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


@register_dataset("folder:", help="folder:PATH - any image folder; class labels from subfolders; resized and centre-cropped")
def build_folder(cfg, path: str) -> TensorDataset:
    _check_options(cfg, "folder:")
    root = Path(path).expanduser()
    if not root.exists():
        raise GanforgeError(f"data folder {root} does not exist")
    if not root.is_dir():
        raise GanforgeError(f"data folder {root} is not a folder")
    files = list_images(root)
    if not files:
        raise GanforgeError(f"data folder {root} holds no images (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    if cfg.limit:
        files = files[: cfg.limit]
    size = cfg.resolution or 64
    channels = cfg.channels
    if channels is None:  # gray only when every image is single-channel
        from .image_files import opened_image

        channels = 1
        for f in files[:256]:
            with opened_image(f) as im:
                if im.mode not in ("L", "1", "I", "I;16", "F"):
                    channels = 3
                    break
    mode = "L" if channels == 1 else "RGB"
    classes = sorted({f.parent.relative_to(root).parts[0] for f in files if f.parent != root})
    labelled = bool(classes) and all(f.parent != root for f in files)
    arrays = [center_crop_resize(load_image(f, mode), size) for f in files]
    x = torch.from_numpy(np.stack(arrays))
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    y = torch.tensor([classes.index(f.relative_to(root).parts[0]) for f in files]) if labelled else None
    cfg_local = type(cfg)(**{**cfg.__dict__, "resolution": None, "channels": None, "limit": None})
    return _finish(to_unit_range(x.contiguous()), y, cfg_local, f"folder:{root}", len(classes) if labelled else 0,
                   classes if labelled else None)
