"""Image-to-image tasks derived deterministically from MNIST (no download needed).

Paired (fields ``a`` input, ``b`` target, ``y`` the source digit's label):

- ``mnist-edges2digits``: a one-pixel outline around the digit (the outer boundary of the
  binarised digit, ink > 0.5) -> the digit.
- ``mnist-colorize``: the gray digit -> the digit in a colour on a background of another
  colour. Colours are fixed per image (drawn from a seeded RNG keyed by the image's position
  in its MNIST split); the stroke is always brighter than the background.
- ``mnist-sr``: the digit downsampled by ``scale`` (2: 14x14, 4: 7x7; ``downsample`` ``area``
  or ``bicubic``) -> the digit.
- ``mnist-inpaint``: the digit with a square hole (``hole`` px, default 12 at 28 px; filled
  with ``fill``, default 0 = mid grey) -> the digit; also ``mask`` (N, 1, H, W), 1 on the hole.
  The hole's centre lies in the middle half of the image, at a position fixed per image.

Unpaired (fields ``a``, ``ya`` for domain A; ``b``, ``yb`` for domain B):

- ``mnist-thin2thick``: digits eroded by a 2x2 square (thinner strokes) vs digits dilated
  by a 3x3 square (thicker strokes).
- ``mnist-invert``: white-on-black digits vs black-on-white digits.

In both unpaired tasks every source image goes to exactly one domain (a fair coin per image,
fixed by the seed), so the two domains never share a source digit; their sizes differ a little.

Options common to all: ``seed`` (int, default 0). ``data.resolution`` resizes the source
digits first (default 28); ``data.channels`` 3 repeats gray images over RGB; ``data.limit``
keeps the first N source images (before the unpaired split).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import GanforgeError
from .base import DataInfo, register_dataset, resize_images
from .i2i_base import PairedDataset, UnpairedDataset, check_limit, check_options
from .idx import load_idx_split

DIGITS = [str(i) for i in range(10)]
_PART_CODE = {"train": 0, "test": 1}


# --- sources and per-image randomness -----------------------------------------------------

def mnist_source(cfg) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(digits (N, 1, R, R) float in [0, 1], labels (N,), keys (N, 2) = (split code, index)).

    The key identifies a source image independently of ``limit``, so per-image choices
    (colours, hole positions, domains) do not change when more images are loaded.
    """
    check_limit(cfg.limit)
    if cfg.split not in ("train", "test", "all"):
        raise GanforgeError(f"data.split {cfg.split!r}: accepted values are train, test, all")
    parts = ["train", "test"] if cfg.split == "all" else [cfg.split]
    xs, ys, keys = [], [], []
    for part in parts:
        x, y = load_idx_split("mnist", part, cfg.root)
        xs.append(x)
        ys.append(y)
        keys.append(torch.stack([torch.full((len(x),), _PART_CODE[part]), torch.arange(len(x))], 1))
    x, y, key = torch.cat(xs), torch.cat(ys), torch.cat(keys)
    if cfg.limit:
        x, y, key = x[: cfg.limit], y[: cfg.limit], key[: cfg.limit]
    res = cfg.resolution or 28
    if res < 8:
        raise GanforgeError(f"data.resolution {res} is too small for the MNIST tasks (at least 8)")
    x = x.unsqueeze(1).float().div_(255.0)
    if res != 28:
        x = resize_images(x * 2 - 1, res).add_(1).div_(2)
    return x, y, key


def per_image_uniform(keys: torch.Tensor, seed: int, salt: int, k: int) -> torch.Tensor:
    """(N, k) float64 uniforms in [0, 1), a fixed function of (seed, salt, image key).

    One numpy PCG64 stream per (seed, salt, split part) filled in index order: row i depends
    only on i, not on how many rows are drawn.
    """
    out = torch.empty(len(keys), k, dtype=torch.float64)
    for code in keys[:, 0].unique().tolist():
        sel = keys[:, 0] == code
        idx = keys[sel, 1]
        table = np.random.default_rng([seed, salt, code]).random((int(idx.max()) + 1, k))
        out[sel] = torch.from_numpy(table)[idx]
    return out


def _channels(x: torch.Tensor, cfg, name: str) -> torch.Tensor:
    """Gray (N, 1, H, W) -> (N, data.channels, H, W)."""
    if cfg.channels in (None, 1):
        return x
    if cfg.channels == 3:
        return x.expand(-1, 3, -1, -1).contiguous()
    raise GanforgeError(f"data.channels for {name!r} must be 1 or 3, got {cfg.channels}")


def _unit(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1]."""
    return (x * 2 - 1).clamp_(-1, 1).contiguous()


def _paired(name: str, task: str, cfg, a: torch.Tensor, b: torch.Tensor, y: torch.Tensor,
            extra_fields: dict[str, torch.Tensor] | None = None, **extra) -> PairedDataset:
    fields = {"a": a, "b": b, "y": y, **(extra_fields or {})}
    info = DataInfo(name=name, kind="paired", shape=tuple(b.shape[1:]), num_classes=10, class_names=DIGITS,
                    extra={"task": task, "a_shape": list(a.shape[1:]), "b_shape": list(b.shape[1:]),
                           "source": "mnist", **extra})
    return PairedDataset(fields, info, crop=None, flip=False, random=False)


# --- morphology on (N, 1, H, W) -----------------------------------------------------------

def dilate(x: torch.Tensor, k: int) -> torch.Tensor:
    """Grayscale dilation by a k x k square (max filter; the window is anchored so size is kept)."""
    lo, hi = (k - 1) // 2, k // 2
    return F.max_pool2d(F.pad(x, (lo, hi, lo, hi), value=float(x.min())), k, 1)


def erode(x: torch.Tensor, k: int) -> torch.Tensor:
    """Grayscale erosion by a k x k square (min filter)."""
    return -dilate(-x, k)


def outline(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """One-pixel outer boundary of the binarised digit (4-neighbourhood), (N, 1, H, W) in {0, 1}."""
    ink = (x > threshold).float()
    p = F.pad(ink, (1, 1, 1, 1))
    grown = torch.stack([ink, p[..., :-2, 1:-1], p[..., 2:, 1:-1], p[..., 1:-1, :-2], p[..., 1:-1, 2:]]).amax(0)
    return grown - ink


# --- paired tasks -------------------------------------------------------------------------

@register_dataset("mnist-edges2digits", help="paired: one-pixel outline of a digit -> the digit (from MNIST)")
def build_edges2digits(cfg) -> PairedDataset:
    opts = check_options(cfg.options, "mnist-edges2digits", {"seed": int})
    del opts
    x, y, _ = mnist_source(cfg)
    return _paired("mnist-edges2digits", "edges2digits", cfg, _channels(_unit(outline(x)), cfg, "mnist-edges2digits"),
                   _channels(_unit(x), cfg, "mnist-edges2digits"), y)


def digit_colours(keys: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(foreground (N, 3), background (N, 3)) RGB in [0, 1]: strokes from [0.55, 1], background
    from [0, 0.35] per channel, so the digit is always the brighter part (readable in gray)."""
    u = per_image_uniform(keys, seed, salt=1, k=6).float()
    return 0.55 + 0.45 * u[:, :3], 0.35 * u[:, 3:]


@register_dataset("mnist-colorize", help="paired: gray digit -> coloured digit on a coloured background (from MNIST)")
def build_colorize(cfg) -> PairedDataset:
    opts = check_options(cfg.options, "mnist-colorize", {"seed": int})
    if cfg.channels not in (None, 1, 3):
        raise GanforgeError(f"data.channels for 'mnist-colorize' sets the input's channels: 1 or 3, got {cfg.channels}")
    x, y, keys = mnist_source(cfg)
    fg, bg = digit_colours(keys, opts.get("seed", 0))
    coloured = bg[:, :, None, None] * (1 - x) + fg[:, :, None, None] * x
    return _paired("mnist-colorize", "colorize", cfg, _channels(_unit(x), cfg, "mnist-colorize"), _unit(coloured), y)


@register_dataset("mnist-sr", help="paired: digit downsampled x2 (14x14) or x4 (7x7) -> 28x28 digit (option scale)")
def build_sr(cfg) -> PairedDataset:
    opts = check_options(cfg.options, "mnist-sr", {"seed": int, "scale": int, "downsample": str})
    scale, mode = opts.get("scale", 4), opts.get("downsample", "area")
    if scale not in (2, 4):
        raise GanforgeError(f"data.options.scale for 'mnist-sr' must be 2 or 4, got {scale}")
    if mode not in ("area", "bicubic"):
        raise GanforgeError(f"data.options.downsample for 'mnist-sr' must be area or bicubic, got {mode!r}")
    x, y, _ = mnist_source(cfg)
    res = x.shape[-1]
    if res % scale:
        raise GanforgeError(f"data.resolution {res} is not divisible by data.options.scale {scale}")
    hr = _channels(_unit(x), cfg, "mnist-sr")
    lr = downsample(hr, scale, mode)
    return _paired("mnist-sr", "super-resolution", cfg, lr, hr, y, scale=scale, downsample=mode)


def downsample(x: torch.Tensor, scale: int, mode: str = "area") -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, C, H / scale, W / scale): box average or antialiased bicubic."""
    size = (x.shape[-2] // scale, x.shape[-1] // scale)
    if mode == "area":
        return F.interpolate(x, size=size, mode="area").contiguous()
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp_(-1, 1).contiguous()


def hole_masks(keys: torch.Tensor, size: int, hole: int, seed: int) -> torch.Tensor:
    """(N, 1, size, size) float masks with a hole x hole square of ones, centred in the middle
    half of the image at a position fixed per image."""
    lo = max(0, size // 4 - hole // 2)
    hi = max(lo, min(size - hole, (3 * size) // 4 - hole // 2))
    u = per_image_uniform(keys, seed, salt=2, k=2)
    tops = (lo + (u * (hi - lo + 1)).floor().long()).clamp_(max=hi)
    masks = torch.zeros(len(keys), 1, size, size)
    for i, (t, l) in enumerate(tops.tolist()):
        masks[i, :, t:t + hole, l:l + hole] = 1
    return masks


@register_dataset("mnist-inpaint", help="paired: digit with a square hole (+ mask) -> the full digit (from MNIST)")
def build_inpaint(cfg) -> PairedDataset:
    opts = check_options(cfg.options, "mnist-inpaint", {"seed": int, "hole": int, "fill": (int, float)})
    x, y, keys = mnist_source(cfg)
    res = x.shape[-1]
    hole = opts.get("hole", max(1, round(res * 12 / 28)))
    if not 0 < hole < res:
        raise GanforgeError(f"data.options.hole must be between 1 and {res - 1} px, got {hole}")
    fill = float(opts.get("fill", 0.0))
    if not -1.0 <= fill <= 1.0:
        raise GanforgeError(f"data.options.fill must be in [-1, 1], got {fill}")
    b = _channels(_unit(x), cfg, "mnist-inpaint")
    mask = hole_masks(keys, res, hole, opts.get("seed", 0))
    a = b * (1 - mask) + fill * mask
    return _paired("mnist-inpaint", "inpaint", cfg, a, b, y, extra_fields={"mask": mask}, hole=hole, fill=fill)


# --- unpaired tasks -----------------------------------------------------------------------

def _unpaired(name: str, task: str, cfg, a: torch.Tensor, b: torch.Tensor, y: torch.Tensor,
              keys: torch.Tensor, seed: int) -> UnpairedDataset:
    """Send each source image to domain A (with its ``a`` version) or B (its ``b`` version)."""
    to_a = per_image_uniform(keys, seed, salt=3, k=1)[:, 0] < 0.5
    if to_a.all() or not to_a.any():
        raise GanforgeError(f"{name}: data.limit={cfg.limit} leaves one domain empty; use more images")
    ia, ib = to_a.nonzero().squeeze(1), (~to_a).nonzero().squeeze(1)
    info = DataInfo(name=name, kind="unpaired", shape=tuple(b.shape[1:]), num_classes=10, class_names=DIGITS,
                    extra={"task": task, "a_shape": list(a.shape[1:]), "b_shape": list(b.shape[1:]),
                           "source": "mnist", "len_a": len(ia), "len_b": len(ib)})
    return UnpairedDataset({"a": a[ia].contiguous(), "ya": y[ia]}, {"b": b[ib].contiguous(), "yb": y[ib]}, info)


@register_dataset("mnist-thin2thick", help="unpaired: thin-stroke digits vs thick-stroke digits (morphology on MNIST)")
def build_thin2thick(cfg) -> UnpairedDataset:
    opts = check_options(cfg.options, "mnist-thin2thick", {"seed": int})
    x, y, keys = mnist_source(cfg)
    thin = _channels(_unit(erode(x, 2)), cfg, "mnist-thin2thick")
    thick = _channels(_unit(dilate(x, 3)), cfg, "mnist-thin2thick")
    return _unpaired("mnist-thin2thick", "thin2thick", cfg, thin, thick, y, keys, opts.get("seed", 0))


@register_dataset("mnist-invert", help="unpaired: white-on-black vs black-on-white digits, no shared source image")
def build_invert(cfg) -> UnpairedDataset:
    opts = check_options(cfg.options, "mnist-invert", {"seed": int})
    x, y, keys = mnist_source(cfg)
    img = _channels(_unit(x), cfg, "mnist-invert")
    return _unpaired("mnist-invert", "invert", cfg, img, -img, y, keys, opts.get("seed", 0))
