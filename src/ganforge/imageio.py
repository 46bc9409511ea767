"""Image grids and image files with Pillow (no torchvision)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor


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


def save_image(x: Tensor, path: str | os.PathLike[str], scale: int = 1) -> Path:
    """Save one (C, H, W) image in [-1, 1] as PNG (atomic), optionally upscaled (nearest)."""
    from PIL import Image

    arr = to_uint8(x.unsqueeze(0))[0]
    im = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.stem}.tmp{os.getpid()}{p.suffix}")
    im.save(tmp)
    os.replace(tmp, p)
    return p


def save_grid(x: Tensor, path: str | os.PathLike[str], nrow: int | None = None, scale: int | None = None) -> Path:
    """Tile images and save them; small images (e.g. 28 px digits) are upscaled for viewing."""
    if scale is None:
        scale = max(1, 64 // x.shape[-1])
    return save_image(make_grid(x, nrow=nrow), path, scale=scale)


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
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(p)
    plt.close(fig)
    return p
