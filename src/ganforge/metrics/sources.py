"""Where evaluated images come from: a trained run or generator, an image folder, or an array.

Every source becomes an :class:`ImageSource`: a known number of images, served in batches of
(N, C, H, W) float32 in [-1, 1] (with labels when known), always in the same order whatever
the batch size, so that metrics do not depend on it. ``batches(bs, part=(k, parts))`` serves
only batches k, k + parts, k + 2 parts, ... (of the same batch split): the share of one
process when evaluation is split across processes.

Array rules (:func:`images_from_array`):

- float arrays/tensors are images in [-1, 1]: (N, C, H, W) with C = 1 or 3, or (N, H, W) gray;
- uint8 arrays/tensors are pixels in [0, 255]: (N, H, W), (N, C, H, W) when dim 1 is 1 or 3,
  otherwise (N, H, W, C) when the last dim is 1 or 3 (NCHW wins when both could apply);
- anything else is refused with the rule above.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import GanforgeError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
Batch = tuple[torch.Tensor, "torch.Tensor | None"]


@dataclass
class ImageSource:
    """``count`` images served by ``batches(batch_size, part=(0, 1))`` (``part=(k, parts)``: only
    every parts-th batch from batch k, see the module docstring); ``key`` identifies the content
    for caches (None: do not cache); ``labels_known``: batches carry class labels."""

    description: str
    count: int
    batches: Callable[..., Iterator[Batch]]
    key: str | None = None
    labels_known: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def images_from_array(arr: Any, what: str = "images") -> torch.Tensor:
    """numpy array or tensor -> (N, C, H, W) float32 in [-1, 1], following the module's rules."""
    t = torch.from_numpy(np.ascontiguousarray(arr)) if isinstance(arr, np.ndarray) else arr
    if not isinstance(t, torch.Tensor):
        raise GanforgeError(f"{what}: expected a numpy array or tensor, got {type(arr).__name__}")
    t = t.detach().cpu()
    shape = tuple(t.shape)
    if t.dtype == torch.uint8:
        if t.ndim == 3:
            t = t.unsqueeze(1)
        elif t.ndim == 4 and t.shape[1] in (1, 3):
            pass
        elif t.ndim == 4 and t.shape[-1] in (1, 3):
            t = t.permute(0, 3, 1, 2)
        else:
            raise GanforgeError(f"{what}: uint8 images must be (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 "
                                f"or 3; got shape {shape}")
        return t.float().div(127.5).sub(1.0).contiguous()
    if not t.is_floating_point():
        raise GanforgeError(f"{what}: dtype {t.dtype} not accepted; give float images in [-1, 1] or uint8 in [0, 255]")
    if t.ndim == 3:
        t = t.unsqueeze(1)
    if t.ndim != 4 or t.shape[1] not in (1, 3):
        raise GanforgeError(f"{what}: float images must be (N, C, H, W) with C = 1 or 3, or (N, H, W); got shape {shape}"
                            + (" (channels last? only uint8 arrays may be NHWC)" if t.ndim == 4 and t.shape[-1] in (1, 3) else ""))
    t = t.float()
    if t.numel():
        lo, hi = float(t.min()), float(t.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise GanforgeError(f"{what}: images contain NaN or inf")
        if lo < -1.001 or hi > 1.001:
            raise GanforgeError(f"{what}: float images must lie in [-1, 1], found values in [{lo:.3g}, {hi:.3g}] "
                                "(uint8 arrays are read as [0, 255])")
    return t.clamp(-1.0, 1.0).contiguous()


def _content_key(t: torch.Tensor) -> str:
    h = hashlib.sha1(str(tuple(t.shape)).encode())
    h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def array_source(arr: Any, n: int | None, labels: Any = None, what: str = "array") -> ImageSource:
    """The first ``n`` images (all when n is None or larger) of an array, with optional labels."""
    x = images_from_array(arr, what)
    count = len(x) if n is None else min(n, len(x))
    x = x[:count]
    y = None
    if labels is not None:
        y = torch.as_tensor(np.asarray(labels)).long().reshape(-1)
        if len(y) < count:
            raise GanforgeError(f"labels: {len(y)} labels for {count} images")
        y = y[:count]

    def batches(bs: int, part: tuple[int, int] = (0, 1)) -> Iterator[Batch]:
        for i in range(part[0] * bs, count, part[1] * bs):
            yield x[i:i + bs], (y[i:i + bs] if y is not None else None)

    return ImageSource(f"{what} {tuple(x.shape)}", count, batches, key=f"array-{_content_key(x)}",
                       labels_known=y is not None)


def _is_generator(m: Any) -> bool:
    return isinstance(m, nn.Module) and hasattr(m, "z_dim") and hasattr(m, "sample_latent")


def generator_source(G: nn.Module, n: int, seed: int = 0, device: str | torch.device | None = None,
                     what: str = "generator") -> ImageSource:
    """``n`` samples of a generator: z = G.sample_latent(n, generator=Generator().manual_seed(seed))
    drawn once, labels ``arange(n) % num_classes`` (balanced) for a conditional G; sampled in
    eval mode under no_grad. Outputs are clamped to [-1, 1], as writing them to image files would."""
    if not _is_generator(G):
        raise GanforgeError(f"{what}: a generator needs attributes z_dim and sample_latent (the ganforge "
                            f"generator contract); got {type(G).__name__}")
    if n < 1:
        raise GanforgeError(f"n: need at least 1 sample, got {n}")
    # Sample where the generator lives; ``device`` only matters for a parameter-free module.
    param = next(iter(G.parameters()), None)
    dev = param.device if param is not None else torch.device(device or "cpu")
    z = G.sample_latent(n, generator=torch.Generator().manual_seed(seed))
    k = int(getattr(G, "num_classes", 0) or 0)
    c = torch.arange(n) % k if k > 0 else None

    def batches(bs: int, part: tuple[int, int] = (0, 1)) -> Iterator[Batch]:
        was_training = G.training
        G.eval()
        try:
            with torch.no_grad():
                for i in range(part[0] * bs, n, part[1] * bs):
                    cb = c[i:i + bs] if c is not None else None
                    x = G(z[i:i + bs].to(dev), cb.to(dev) if cb is not None else None)
                    if x.ndim != 4 or x.shape[1] not in (1, 3):
                        raise GanforgeError(f"{what}: image metrics need images (N, 1 or 3, H, W); the generator "
                                            f"gives {tuple(x.shape)} (for 2-D toy points use metrics.toy)")
                    if not torch.isfinite(x).all():
                        raise GanforgeError(f"{what}: generator produced NaN or inf")
                    yield x.float().clamp(-1, 1).cpu(), cb
        finally:
            G.train(was_training)

    return ImageSource(f"{what} ({type(G).__name__}, seed {seed})", n, batches, key=None,
                       labels_known=c is not None, info={"num_classes": k})


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def _read_image(path: Path) -> np.ndarray:
    from ..data.image_files import opened_image

    with opened_image(path) as im:  # names the file, and refuses decompression bombs
        gray = im.mode in ("1", "L", "LA", "I", "I;16", "F")
        arr = np.asarray(im.convert("L" if gray else "RGB"))
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def folder_source(folder: str | os.PathLike[str], n: int | None) -> ImageSource:
    """The first ``n`` images (sorted by path, searched recursively) of a folder. Gray files
    stay 1-channel, others are read as RGB; all must share one size and channel count (no
    silent resizing: resize them yourself, or evaluate at the size they were made)."""
    root = Path(folder)
    files = list_images(root)
    if not files:
        raise GanforgeError(f"{root}: no images here (looked for {', '.join(IMAGE_EXTENSIONS)}, recursively)")
    files = files[:n] if n is not None else files
    first = _read_image(files[0])
    h = hashlib.sha1()
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())

    def batches(bs: int, part: tuple[int, int] = (0, 1)) -> Iterator[Batch]:
        for i in range(part[0] * bs, len(files), part[1] * bs):
            arrs = []
            for p in files[i:i + bs]:
                a = _read_image(p)
                if a.shape != first.shape:
                    raise GanforgeError(f"{p}: image of shape {a.shape} (C, H, W) differs from {files[0].name} "
                                        f"{first.shape}; all images of a folder must share size and channels")
                arrs.append(a)
            yield torch.from_numpy(np.stack(arrs)).float().div(127.5).sub(1.0), None

    return ImageSource(f"folder {root} ({len(files)} images)", len(files), batches,
                       key=f"folder-{h.hexdigest()[:16]}")


def load_generator_dir(path: Path) -> nn.Module | None:
    """A generator saved in ``path`` (config.json) or ``path/generator``; None when neither."""
    from ..nets import load_model

    for d in (path, path / "generator"):
        if (d / "config.json").is_file():
            G = load_model(d)
            if not _is_generator(G):
                raise GanforgeError(f"{d}: the saved net {type(G).__name__} is not a generator (no z_dim/sample_latent)")
            return G
    return None


def as_image_source(source: Any, n: int, seed: int = 0, device: str | torch.device | None = None,
                    labels: Any = None) -> ImageSource:
    """Resolve what :func:`ganforge.metrics.evaluate` accepts as a source (see that function)."""
    if isinstance(source, ImageSource):
        return source
    if isinstance(source, nn.Module):
        return generator_source(source, n, seed, device)
    if isinstance(source, (np.ndarray, torch.Tensor)):
        return array_source(source, n, labels, "source array")
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if not p.is_dir():
            raise GanforgeError(f"source {str(source)!r}: not a folder (give a run folder, a saved generator "
                                "folder, an image folder, a generator module or an array)")
        G = load_generator_dir(p)
        if G is not None:
            return generator_source(G.to(device or "cpu"), n, seed, device, what=f"generator {p}")
        return folder_source(p, n)
    raise GanforgeError(f"source of type {type(source).__name__} not accepted: give a run folder, a saved generator "
                        "folder, an image folder, a generator module, or images as an array/tensor")
