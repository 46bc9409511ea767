"""Differentiable Augmentation (Zhao et al. 2020, "Differentiable Augmentation for
Data-Efficient GAN Training").

The same family of random, differentiable transforms T is applied to every image the
discriminator sees, real and fake, in both the D and the G step: D(T(x)) and D(T(G(z))).
Because T is differentiable, G's gradients pass through it, and because fakes are augmented
too, G is not pushed to reproduce the augmentations. Each sample draws its own parameters.

Transforms (the paper's ``color,translation,cutout`` policy), for images in [-1, 1]:

- color: brightness ``x + (u - 0.5)``, saturation ``(x - mean_c) * 2u + mean_c``, contrast
  ``(x - mean_chw) * (u + 0.5) + mean_chw`` with u ~ U[0, 1) per sample. Like the reference
  code, values are not clamped, so they may leave [-1, 1].
- translation: shift by up to 1/8 of the image size in each direction, filling with zeros.
- cutout: zero a square of half the image size at a random centre.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F

from ..errors import GanforgeError


def _rand(n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """U[0, 1) of shape (n, 1, 1, 1) drawn from ``generator`` (on its device) or the global RNG."""
    if generator is None:
        return torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype)
    return torch.rand(n, 1, 1, 1, generator=generator, device=generator.device).to(x.device, x.dtype)


def _randint(low: int, high: int, n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Integers in [low, high) of shape (n,)."""
    if generator is None:
        return torch.randint(low, high, (n,), device=x.device)
    return torch.randint(low, high, (n,), generator=generator, device=generator.device).to(x.device)


def rand_brightness(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    return x + (_rand(x.shape[0], x, generator) - 0.5)


def rand_saturation(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand(x.shape[0], x, generator) * 2) + mean


def rand_contrast(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x.shape[0], x, generator) + 0.5) + mean


def rand_translation(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by integers in [-round(ratio H), round(ratio H)] (and likewise for W)."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = _randint(-sh, sh + 1, n, x, generator)
    tx = _randint(-sw, sw + 1, n, x, generator)
    padded = F.pad(x, (sw, sw, sh, sh))  # zeros where the shifted image has no source pixel
    rows = torch.arange(h, device=x.device)[None, :] + sh - ty[:, None]  # (N, H): output row i reads row i - ty
    cols = torch.arange(w, device=x.device)[None, :] + sw - tx[:, None]  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    # advanced indexing around a slice puts the indexed dims first: (N, H, W, C)
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def rand_cutout(x: torch.Tensor, generator: torch.Generator | None = None, ratio: float = 0.5) -> torch.Tensor:
    """Zero a (ratio H) x (ratio W) rectangle centred anywhere in the image (clipped at borders)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = _randint(0, h + (1 - ch % 2), n, x, generator) - ch // 2  # top edge; may start outside
    cx = _randint(0, w + (1 - cw % 2), n, x, generator) - cw // 2
    r, c = torch.arange(h, device=x.device)[None, :], torch.arange(w, device=x.device)[None, :]
    in_rows = (r >= cy[:, None]) & (r < cy[:, None] + ch)  # (N, H)
    in_cols = (c >= cx[:, None]) & (c < cx[:, None] + cw)  # (N, W)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


TRANSFORMS = ("color", "translation", "cutout")


def parse_policy(policy: str) -> list[str]:
    """``"color,translation"`` -> ``["color", "translation"]``; empty -> []; unknown names fail."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    for p in names:
        if p not in TRANSFORMS:
            raise GanforgeError(f"DiffAugment policy {policy!r}: unknown transform {p!r}; "
                                f"accepted: {', '.join(TRANSFORMS)} (comma-separated)")
    return names


def diff_augment(x: torch.Tensor, policy: str = "color,translation,cutout",
                 generator: torch.Generator | None = None, *, translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5) -> torch.Tensor:
    """Apply the policy's transforms, in order, to a batch x (N, C, H, W) -> same shape.

    Differentiable with respect to x. Random parameters come from ``generator`` (CPU or
    device generator) or, when None, from the global RNG of x's device; with the same seeded
    generator the output is reproducible. Call it on real and on fake batches alike.
    """
    ops: dict[str, list[Callable[[torch.Tensor, torch.Generator | None], torch.Tensor]]] = {
        "color": [rand_brightness, rand_saturation, rand_contrast],
        "translation": [partial(rand_translation, ratio=translation_ratio)],
        "cutout": [partial(rand_cutout, ratio=cutout_ratio)],
    }
    for name in parse_policy(policy):
        for op in ops[name]:
            x = op(x, generator)
    return x.contiguous()
