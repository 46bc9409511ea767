"""Image grids and image files with Pillow (no torchvision)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .errors import GanforgeError
from .fileio import atomic_write, save_pil


def to_uint8(x: Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C) in [0, 255]."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def make_grid(x: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 1.0) -> Tensor:
    """Tile (N, C, H, W) images into one (C, H', W') image, ``nrow`` images per row."""
    n, c, h, w = x.shape
    nrow = nrow or max(1, int(math.ceil(math.sqrt(n))))
    rows = int(math.ceil(n / nrow))
    grid = torch.full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value,
                      dtype=x.dtype)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top:top + h, left:left + w] = x[i].detach().cpu()
    return grid


def image_format(path: Path) -> str:
    """Pillow's format name for ``path``'s suffix (PNG when it has none); an unknown suffix is an error."""
    from PIL import Image

    if not path.suffix:
        return "PNG"
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise GanforgeError(f"{path}: {path.suffix!r} is not an image file suffix; use .png (or .jpg, .webp)")
    return fmt


def save_image(x: Tensor, path: str | os.PathLike[str], scale: int = 1) -> Path:
    """Save one (C, H, W) image in [-1, 1] atomically, optionally upscaled (nearest); the format
    follows the suffix (PNG without one). A failed write is a GanforgeError naming the file."""
    from PIL import Image

    arr = to_uint8(x.unsqueeze(0))[0]
    im = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)
    p = Path(path)
    return save_pil(im, p, "an image", format=image_format(p))


# One PNG grid is built in memory (float tensor, then Pillow's copy, then its upscale): 100 M
# pixels is ~10,000 x 10,000, a few GB at most; a larger request is refused with its size.
MAX_GRID_PIXELS = 100_000_000


def grid_pixels(n: int, h: int, w: int, nrow: int | None = None, padding: int = 2, scale: int = 1) -> tuple[int, int]:
    """(height, width) in pixels of the grid :func:`save_grid` would write for n images of h x w."""
    nrow = nrow or max(1, int(math.ceil(math.sqrt(n))))
    rows = int(math.ceil(n / nrow))
    return (rows * (h + padding) + padding) * scale, (nrow * (w + padding) + padding) * scale


def grid_scale(width: int) -> int:
    """The upscale factor of grids of images ``width`` pixels wide: small ones (28 px) to >= 64 px."""
    return max(1, 64 // width)


def save_grid(x: Tensor, path: str | os.PathLike[str], nrow: int | None = None, scale: int | None = None) -> Path:
    """Tile images (N, C, H, W) in [-1, 1] and save them; small images (e.g. 28 px digits) are
    upscaled for viewing. A grid over :data:`MAX_GRID_PIXELS` is refused before it is built."""
    if nrow is not None and nrow <= 0:
        raise GanforgeError(f"nrow = {nrow}: images per grid row must be positive")
    if scale is None:
        scale = grid_scale(x.shape[-1])
    check_grid_fits(len(x), x.shape[-3], x.shape[-2], x.shape[-1], nrow, scale)
    return save_image(make_grid(x, nrow=nrow), path, scale=scale)


def check_grid_fits(n: int, c: int, h: int, w: int, nrow: int | None = None, scale: int = 1) -> None:
    """Raise a GanforgeError with the estimate when a grid of n (c, h, w) images is too large."""
    gh, gw = grid_pixels(n, h, w, nrow, scale=scale)
    if gh * gw > MAX_GRID_PIXELS:
        gb = gh * gw * c * 4 / 1e9
        raise GanforgeError(f"a grid of {n} images of {w}x{h} would be {gw} x {gh} pixels (~{gb:.3g} GB in memory); "
                            f"one grid holds at most {MAX_GRID_PIXELS:,} pixels. Ask for fewer samples, or write "
                            f"them with --format npy or --format folder (written in chunks)")


def save_points(x: Tensor, path: str | os.PathLike[str], reference: Tensor | None = None, title: str = "") -> Path:
    """Scatter plot of 2-D samples (or a histogram of 1-D samples) over optional real data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = x.detach().float().cpu()
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    if x.shape[1] == 1:
        if reference is not None:
            ax.hist(reference[:, 0].numpy(), bins=80, density=True, alpha=0.5, label="real")
        ax.hist(x[:, 0].numpy(), bins=80, density=True, alpha=0.6, label="generated")
        ax.legend()
    else:
        if reference is not None:
            ax.scatter(reference[:, 0], reference[:, 1], s=2, c="tab:blue", alpha=0.3, label="real")
        ax.scatter(x[:, 0], x[:, 1], s=2, c="tab:red", alpha=0.6, label="generated")
        ax.set_aspect("equal")
        ax.legend(loc="upper right", markerscale=4)
    if title:
        ax.set_title(title)
    p = Path(path)
    fig.tight_layout()
    try:
        atomic_write(p, lambda f: fig.savefig(f, format=p.suffix[1:].lower() or "png"), "a plot")
    finally:
        plt.close(fig)
    return p
