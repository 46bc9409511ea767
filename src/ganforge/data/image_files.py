"""Reading image files for the folder datasets (Pillow only): listing, decoding with errors
that name the file, channel choice, resizing, and the sizes a folder dataset ends up with."""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from ..errors import GanforgeError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")
SPLIT_NAMES = ("train", "val", "test")


def list_image_files(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` (not recursive, hidden files skipped), sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)


MAX_PIXELS_ENV = "GANFORGE_MAX_IMAGE_PIXELS"


def max_image_pixels() -> int | None:
    """The most pixels an image file may have: Pillow's default (about 89 M, its guard against
    decompression bombs) unless the environment variable GANFORGE_MAX_IMAGE_PIXELS says otherwise
    (a number, or 0 for no limit: only for files you trust)."""
    from PIL import Image

    raw = os.environ.get(MAX_PIXELS_ENV)
    if raw is None or not raw.strip():
        return Image.MAX_IMAGE_PIXELS
    try:
        limit = int(float(raw))
    except ValueError:
        raise GanforgeError(f"{MAX_PIXELS_ENV}={raw!r}: expected a number of pixels (0: no limit)") from None
    if limit < 0:
        raise GanforgeError(f"{MAX_PIXELS_ENV}={raw!r}: expected a number of pixels >= 0 (0: no limit)")
    # Pillow refuses files over twice its limit inside Image.open, before we can look at them
    Image.MAX_IMAGE_PIXELS = limit or None
    return limit or None


def _too_large(path: Path, size: tuple[int, int] | None, limit: int | None) -> GanforgeError:
    dims = f"{size[0]}x{size[1]} pixels" if size else "over twice as many pixels as allowed"
    return GanforgeError(f"{path}: image of {dims} is over the limit of {limit:,} pixels (a decompression bomb, or a "
                         f"huge image); if you trust the file, raise the limit with the environment variable "
                         f"{MAX_PIXELS_ENV}=N (0: no limit)")


@contextmanager
def opened_image(path: Path) -> Iterator[Any]:
    """``PIL.Image.open(path)`` with the pixel limit of :func:`max_image_pixels`; any failure to
    open or decode inside the block (a bomb, a truncated or foreign file) names ``path``."""
    from PIL import Image, UnidentifiedImageError

    limit = max_image_pixels()
    try:
        with warnings.catch_warnings():
            # over the limit but under twice it Pillow only warns; we refuse with the file's name
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            if limit is not None and im.width * im.height > limit:
                raise _too_large(path, im.size, limit)
            yield im
    except Image.DecompressionBombError:
        raise _too_large(path, None, limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, GanforgeError):
            raise
        raise GanforgeError(f"{path}: cannot read image ({e})") from None


def read_image(path: Path, channels: int | None) -> np.ndarray:
    """Decode ``path`` to uint8 (H, W, C): C = ``channels`` (1 or 3), or for None 1 when the file is
    gray and 3 otherwise. A file Pillow cannot decode, or one over the pixel limit, is reported by path."""
    from PIL import Image

    with opened_image(path) as im:
        im.load()
        if channels is None:
            channels = 1 if im.mode in GRAY_MODES else 3
        if im.mode in ("I", "I;16", "F"):  # 16-bit / float gray: scale to 8 bits first
            arr = np.asarray(im, dtype=np.float64)
            top = 65535.0 if arr.max() > 255 else 255.0
            im = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).astype(np.uint8))
        arr = np.asarray(im.convert("L" if channels == 1 else "RGB"))
    return arr[:, :, None] if arr.ndim == 2 else arr


def resize_square(img: np.ndarray, size: int) -> np.ndarray:
    """Bicubic resize of uint8 (H, W, C) to (size, size, C), ignoring the aspect ratio as pix2pix does."""
    from PIL import Image

    if img.shape[0] == size and img.shape[1] == size:
        return img
    im = Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img)
    out = np.asarray(im.resize((size, size), Image.Resampling.BICUBIC))
    return out[:, :, None] if out.ndim == 2 else out


def stack_images(images: list[np.ndarray], paths: list[Path], what: str) -> torch.Tensor:
    """uint8 (N, C, H, W) from HWC arrays; gray images are repeated to RGB when any image of
    the set is colour; different sizes are an error naming two of the files."""
    if any(im.shape[2] == 3 for im in images):
        images = [np.repeat(im, 3, axis=2) if im.shape[2] == 1 else im for im in images]
    first = images[0].shape[:2]
    for im, p in zip(images, paths):
        if im.shape[:2] != first:
            raise GanforgeError(f"{what}: {paths[0]} is {first[1]}x{first[0]} but {p} is {im.shape[1]}x{im.shape[0]}; "
                                "set data.resolution (or data.options.load_size) to resize them all")
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def split_folders(root: Path, split: str, what: str) -> list[Path]:
    """The folders of ``split`` under ``root``: ``root/train`` etc. when ``root`` has split
    subfolders (``all``: every one of train/val/test present), otherwise ``root`` itself."""
    present = [s for s in SPLIT_NAMES if (root / s).is_dir()]
    if not present:
        return [root]
    if split == "all":
        return [root / s for s in present]
    if split not in present:
        raise GanforgeError(f"{what}: {root} has split folders {', '.join(present)} but no {split!r}; "
                            f"choose data.split among {', '.join(present + ['all'])}")
    return [root / split]


def sizes_from(cfg, options: dict, native: tuple[int, int]) -> tuple[int | None, tuple[int, int]]:
    """(load size or None for native, final crop (h, w)) from data.resolution and the options.

    load size = options.load_size, else data.resolution, else the native size;
    crop = options.crop, else data.resolution, else the load size (no crop).
    """
    load = options.get("load_size") or cfg.resolution
    loaded = (load, load) if load else native
    crop_side = options.get("crop") or cfg.resolution
    crop = (crop_side, crop_side) if crop_side else loaded
    if crop[0] > loaded[0] or crop[1] > loaded[1]:
        raise GanforgeError(f"crop {crop[1]}x{crop[0]} is larger than the loaded images {loaded[1]}x{loaded[0]}; "
                            "set data.options.load_size >= crop")
    return load, crop


FOLDER_OPTIONS: dict[str, type | tuple[type, ...]] = {"load_size": int, "crop": int, "flip": bool}
